"""Server mode against a real `chroma run` on 127.0.0.1: replicas with nothing but the URL in common, the lease,
crashes, the token header, a server that stops answering. One server for the run (conftest.py); each test its own
prefix."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np
import pytest

from advisor.answer import Advisor
from advisor.errors import IngestBusy, KnowledgeNotReady, StoreError
from advisor.evaluate import read_cases
from advisor.retrieve import Retriever
from advisor.settings import Settings
from advisor.store import KnowledgeStore, ServerStore, open_store
from advisor.store.lease import LeaseKeeper, LeaseLost
from bot.serve import Runtime
from bot.web import create_app
from ingest.build import ingest

from .conftest import KNOWLEDGE, LOOPBACK, free_port
from .deployment import DEPLOY, unit_service, write_env_file
from .fakes import HashEmbedder

pytestmark = pytest.mark.chroma_server
ROOT = Path(__file__).resolve().parents[1]
QUESTION = "Can I keep working with my Russian co-author?"


@pytest.fixture
def on_server(chroma_url, tmp_path):
    """Settings for one host of a deployment: its own store directory, the shared server, this test's prefix."""
    prefix = f"t{uuid.uuid4().hex[:12]}"

    def settings(host: str, **overrides) -> Settings:
        values = {"store_dir": tmp_path / host, "knowledge_dir": KNOWLEDGE, "chroma_url": chroma_url,
                  "chroma_prefix": prefix, "chroma_lease_seconds": 30.0} | overrides
        return Settings(_env_file=None, **values)

    return settings


def test_two_hosts_with_only_the_url_in_common_see_the_same_versions(on_server, tmp_path):
    first = ingest(on_server("a"), None, HashEmbedder())
    second = ingest(on_server("a"), None, HashEmbedder(), force=True)
    assert first.published and second.published

    here, there = open_store(on_server("a")), open_store(on_server("b"))
    assert there.version_rows() == here.version_rows()
    assert [r["id"] for r in there.version_rows()] == [first.version, second.version]
    assert there.current_id() == second.version
    ours, theirs = here.load(first.version), there.load(first.version)
    assert [u.id for u in theirs.units] == [u.id for u in ours.units] and len(ours.units) > 100
    assert np.array_equal(theirs.vectors, ours.vectors)
    assert [e["action"] for e in there.audit_entries()] == ["publish", "publish"]

    answer = Advisor(on_server("b"), HashEmbedder()).ask(QUESTION)
    assert answer.answered and answer.version == second.version
    # Store directories hold local caches only; the versions are in the server.
    assert (tmp_path / "a" / "embedding-cache.sqlite").exists() and not list(tmp_path.rglob("manifest.json"))


async def test_a_running_replica_serves_a_version_published_from_another_host(on_server):
    first = ingest(on_server("ingester"), None, HashEmbedder())
    replica = Runtime(on_server("replica"), embedder=HashEmbedder())
    await asyncio.to_thread(replica.load)
    assert replica.advisor.version == first.version
    changed = asyncio.Event()

    async def listener(old, new) -> None:
        changed.set()

    replica.version_listeners.append(listener)
    stop = asyncio.Event()
    watcher = asyncio.create_task(replica.watch_versions(stop, interval=0.2))
    try:
        second = await asyncio.to_thread(ingest, on_server("ingester"), None, HashEmbedder(), force=True)
        await asyncio.wait_for(changed.wait(), timeout=20)
        assert replica.advisor.version == second.version != first.version
        assert (await asyncio.to_thread(replica.advisor.ask, QUESTION)).version == second.version
    finally:
        stop.set()
        await watcher
        replica.journal.close()


async def test_a_replica_started_before_any_version_becomes_ready_when_one_is_published(on_server):
    replica = Runtime(on_server("replica"), embedder=HashEmbedder())
    with pytest.raises(KnowledgeNotReady, match="Chroma server"):
        await asyncio.to_thread(replica.load)
    stop = asyncio.Event()
    watcher = asyncio.create_task(replica.watch_versions(stop, interval=0.2))
    try:
        report = await asyncio.to_thread(ingest, on_server("ingester"), None, HashEmbedder())
        async with asyncio.timeout(20):
            while not replica.ready:
                await asyncio.sleep(0.1)
        assert replica.advisor.version == report.version
    finally:
        stop.set()
        await watcher
        replica.journal.close()


def test_a_second_ingestion_is_refused_while_another_host_holds_the_lease(on_server):
    holder = open_store(on_server("a"))
    with holder.lock(), pytest.raises(IngestBusy, match=f"pid {os.getpid()}"):
        ingest(on_server("b"), None, HashEmbedder())
    assert ingest(on_server("b"), None, HashEmbedder()).published  # given back at the end of the block


def test_of_two_hosts_taking_the_lease_at_once_exactly_one_gets_it(on_server):
    for _ in range(5):
        stores = [open_store(on_server(f"host{i}")) for i in range(3)]
        for store in stores:
            store.version_ids()  # connected before the race, so that the race is about the lease alone
        assert sorted(_race_for_the_lease(stores)) == ["busy", "busy", "held"]


def _race_for_the_lease(stores) -> list[str]:
    """Each store tries to take the lease at the same moment; the winner holds it until every one has tried."""
    start, release = threading.Barrier(len(stores)), threading.Event()
    outcomes: list[str] = []

    def take(store) -> None:
        start.wait()
        try:
            with store.lock():
                outcomes.append("held")
                release.wait(20)
        except IngestBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(outcomes) < len(stores) and time.monotonic() < deadline:
        time.sleep(0.05)
    release.set()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.long
def test_the_lease_of_a_killed_ingester_runs_out_and_is_taken_over(on_server):
    settings = on_server("dead", chroma_lease_seconds=10.0)  # long enough that a busy machine still asks in time
    env = os.environ | {"PYTHONPATH": str(ROOT), "ADVISOR_CHROMA_URL": settings.chroma_url or "",
                        "ADVISOR_CHROMA_PREFIX": settings.chroma_prefix, "ADVISOR_CHROMA_LEASE_SECONDS": "10"}
    script = ("import sys, time\nfrom advisor.settings import Settings\nfrom advisor.store import open_store\n"
              "with open_store(Settings(_env_file=None)).lock():\n    print('held', flush=True)\n    time.sleep(600)\n")
    survivor = open_store(on_server("alive"))
    survivor.version_ids()  # connected already, so that it asks as soon as the holder is dead
    child = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        with pytest.raises(IngestBusy, match=f"pid {child.pid}"), survivor.lock():  # its renewed lease has not run out
            pass
        with survivor.lock(wait_seconds=30):
            assert ingest(on_server("alive"), None, HashEmbedder(), store=survivor, lock_held=True).published
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_holder_whose_lease_ran_out_and_was_taken_over_can_no_longer_write(on_server):
    stalled = open_store(on_server("stalled"))
    assert isinstance(stalled, ServerStore)
    with stalled._reaching("take the lease") as records:
        keeper = LeaseKeeper(records, 1.0, stalled.location)
        lease = keeper.acquire()  # held without renewal: a process that stopped running
    time.sleep(1.5)
    taker = open_store(on_server("taker"))
    with taker.lock(), pytest.raises(LeaseLost, match="taken over"):
        keeper.check(lease)
    with pytest.raises(StoreError, match="without holding its ingestion lease"):
        stalled.publish("v0001")


@pytest.mark.long
def test_killed_ingestions_are_never_served_and_the_next_one_cleans_up(on_server):
    first = ingest(on_server("a"), None, HashEmbedder())
    settings = on_server("killed", chroma_lease_seconds=2.0)
    env = os.environ | {"PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "ADVISOR_CHROMA_URL": settings.chroma_url or "",
                        "ADVISOR_CHROMA_PREFIX": settings.chroma_prefix, "ADVISOR_CHROMA_LEASE_SECONDS": "2"}
    store = open_store(on_server("b"))
    assert isinstance(store, ServerStore)
    # Killed with an empty collection of units, then (once the dead lease ran out) with all units but no manifest.
    for step, half_built in (("add_units", "v0002"), ("manifest", "v0003")):
        result = subprocess.run([sys.executable, "-m", "tests.crash_server_ingest", str(KNOWLEDGE), str(settings.store_dir), step],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == -signal.SIGKILL, result.stderr[-1000:]
        with store._reaching("list") as records:
            assert store._version_collections(records) == [first.version, half_built]  # the half-built one is there…
        assert store.version_ids() == [first.version] and store.current_id() == first.version  # …but is no version
        assert Advisor(on_server("b"), HashEmbedder()).ask(QUESTION).version == first.version

    report = ingest(on_server("b"), None, HashEmbedder(), force=True, wait_seconds=15)  # after the dead lease runs out
    assert report.published and report.version == "v0004"
    with store._reaching("list") as records:
        assert store._version_collections(records) == [first.version, "v0004"]


def test_a_version_missing_units_is_refused(on_server):
    report = ingest(on_server("a"), None, HashEmbedder())
    store = open_store(on_server("b"))
    assert isinstance(store, ServerStore)
    with store._reaching("damage") as records:
        collection = records.chroma.get_collection(f"{store.prefix}-{report.version}", embedding_function=None)
        collection.delete(ids=collection.get(limit=1)["ids"])
    with pytest.raises(StoreError, match="incomplete"):
        store.load()


class _Proxy(ThreadingHTTPServer):
    """A pass-through to the Chroma server on 127.0.0.1 that records each request's headers, and can stop answering."""

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = httpx.Client(base_url=upstream, timeout=30)
        self.headers_seen: list[dict[str, str]] = []
        self.down = False
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    server: _Proxy

    def _forward(self) -> None:
        self.server.headers_seen.append(dict(self.headers))
        if self.server.down:
            self.send_error(503, "the Chroma server is unavailable")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        reply = self.server.upstream.request(self.command, self.path, content=body, headers=headers)
        self.send_response(reply.status_code)
        for key, value in reply.headers.items():
            if key.lower() not in ("content-length", "content-encoding", "transfer-encoding", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    do_GET = do_POST = do_PUT = do_DELETE = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def proxy(chroma_url):
    server = _Proxy(chroma_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    server.upstream.close()


def test_the_token_is_sent_with_every_request(on_server, proxy):
    token = "a-token-for-the-proxy-in-front"
    ingest(on_server("a", chroma_url=proxy.url, chroma_token=token), None, HashEmbedder())
    assert Advisor(on_server("b", chroma_url=proxy.url, chroma_token=token), HashEmbedder()).ask(QUESTION).answered
    assert len(proxy.headers_seen) > 10
    assert all({k.lower(): v for k, v in h.items()}.get("x-chroma-token") == token for h in proxy.headers_seen)


def test_without_a_token_no_token_header_is_sent(on_server, proxy):
    assert open_store(on_server("a", chroma_url=proxy.url)).version_ids() == []
    assert proxy.headers_seen and not any("x-chroma-token" in {k.lower() for k in h} for h in proxy.headers_seen)


async def test_a_replica_keeps_answering_when_the_server_stops_and_says_it_is_degraded(on_server, proxy):
    report = ingest(on_server("a"), None, HashEmbedder())
    replica = Runtime(on_server("replica", chroma_url=proxy.url), embedder=HashEmbedder())
    await asyncio.to_thread(replica.load)
    transport = httpx.ASGITransport(app=create_app(replica), client=("127.0.0.1", 50000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            assert "degraded" not in (await web.get("/readyz")).json()
            proxy.down = True
            await asyncio.to_thread(replica.advisor.refresh, True)
            answer = await asyncio.to_thread(replica.advisor.ask, QUESTION)
            assert answer.answered and answer.version == report.version
            ready = await web.get("/readyz")
            assert ready.status_code == 200 and proxy.url in ready.json()["degraded"]
            proxy.down = False
            await asyncio.to_thread(replica.advisor.refresh, True)
            assert "degraded" not in (await web.get("/readyz")).json()
    finally:
        replica.journal.close()


def test_an_ingestion_names_a_server_that_cannot_be_reached(on_server):
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=closed.replace(".", r"\.")):
        ingest(on_server("a", chroma_url=closed, chroma_timeout=2.0), None, HashEmbedder())


@pytest.mark.parametrize("url", ["127.0.0.1:8000", "ftp://host:21", "http://host:8000/some/path", "http://:8000"])
def test_a_url_that_is_not_a_servers_address_is_named(tmp_path, url):
    with pytest.raises(StoreError, match="ADVISOR_CHROMA_URL"):
        open_store(Settings(_env_file=None, store_dir=tmp_path, chroma_url=url))


def test_the_embedded_directory_stays_the_default(tmp_path):
    assert isinstance(open_store(Settings(_env_file=None, store_dir=tmp_path)), KnowledgeStore)


NEW_DOCUMENT = """---
title: "Visiting scientists from abroad"
issuer: Test university
date: 2024-05-01
language: en
authority: summary
---
A visiting scientist from abroad signs the guest agreement at the research office before the first day of the visit.
"""


@pytest.mark.slow
def test_two_serving_replicas_and_an_ingestion_from_a_third_place(on_server, store_copy, embedder, model_cache, tmp_path):
    """Issue 14's scale test: real `advisor serve` processes, real models, no shared directory."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    third = on_server("third", store_dir=store_copy, knowledge_dir=knowledge)  # its embedding cache spares the model
    first = ingest(third, None, embedder)
    env_file = write_env_file(tmp_path / "advisor.env", {  # the operator's .env, made from deploy/advisor.env.example
        "ADVISOR_CHROMA_URL": third.chroma_url or "", "ADVISOR_CHROMA_PREFIX": third.chroma_prefix,
        "ADVISOR_MODEL_CACHE_DIR": str(model_cache)})
    ports = [free_port(), free_port()]
    replicas = [_start_replica(port, env_file, tmp_path / "var/lib") for port in ports]
    try:
        assert [_serving(port, deadline=time.monotonic() + 180) for port in ports] == [first.version] * 2
        assert all((tmp_path / "var/lib" / str(port) / "activity.sqlite").exists() for port in ports)  # each its own

        (knowledge / "visiting-scientists.md").write_text(NEW_DOCUMENT)
        second = ingest(third, None, embedder)
        assert second.published and second.added == ["visiting-scientists.md"]
        deadline = time.monotonic() + 20
        while any(_serving(port, deadline) != second.version for port in ports):
            time.sleep(0.2)
        for port in ports:
            reply = LOOPBACK.post(f"http://127.0.0.1:{port}/api/ask", json={"question": "What does a visiting scientist sign?"},
                                  timeout=30).json()
            assert reply["version"] == second.version and reply["quotes"][0]["document"] == "visiting-scientists.md"
    finally:
        for replica in replicas:
            replica.terminate()
            replica.wait(20)


def _start_replica(port: int, env_file: Path, state: Path) -> subprocess.Popen:
    """`advisor@<port>` as systemd starts it from deploy/advisor@.service, with `env_file` as its .env and `state` as
    /var/lib/collaboration-advisor; this checkout stands for /opt/collaboration-advisor."""
    service = unit_service(DEPLOY / "advisor@.service", str(port), paths={
        "/opt/collaboration-advisor/.venv/bin/advisor": f"{shlex.quote(sys.executable)} -m bot.cli",
        "/opt/collaboration-advisor/.env": str(env_file), "/opt/collaboration-advisor": str(ROOT),
        "/var/lib/collaboration-advisor": str(state)})
    assert service.environment["ADVISOR_WEB_PORT"] == str(port) and service.working_directory == str(ROOT)
    Path(service.environment["ADVISOR_STORE_DIR"]).mkdir(parents=True)  # the unit's StateDirectory=
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | service.environment
    return subprocess.Popen(service.command, cwd=service.working_directory, env=environment | {"PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _serving(port: int, deadline: float) -> str | None:
    """The version a replica serves, once it is ready; fails the test when `deadline` passes first."""
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            response = LOOPBACK.get(f"http://127.0.0.1:{port}/readyz")
            if response.status_code == 200:
                return response.json()["version"]
        time.sleep(0.2)
    pytest.fail(f"the replica on port {port} did not serve in time")


@pytest.mark.long
def test_a_large_version_in_the_server_is_searched_through_the_servers_own_index(on_server, built_store, embedder):
    """Above the crossover a replica asks the server's HNSW index for candidates: same first passages as scoring all."""
    local = KnowledgeStore(built_store).load()
    server = open_store(on_server("admin"))
    with server.lock():
        server.write_version(local.info, local.units, local.vectors)
        server.publish(local.info.id)
    loaded = open_store(on_server("replica")).load()
    asked: list[int] = []
    found: list[list[str]] = []

    def counted(vector, k):
        asked.append(k)
        found.append(loaded.nearest(vector, k))
        return found[-1]

    indexed = Retriever(dataclasses.replace(loaded, nearest=counted), embedder, exact_search_units=0, candidate_units=50)
    exact = Retriever(local, embedder)
    cases = read_cases(KNOWLEDGE / "checks.jsonl")
    for case in cases:
        assert indexed.search_many([case.question], case.lang)[0].hits[0].passage.id == \
               exact.search_many([case.question], case.lang)[0].hits[0].passage.id, case.question
    assert asked == [50] * len(cases)
    assert all(len(ids) == 50 and ids[0] in indexed.unit_index for ids in found)  # the server's index answered
