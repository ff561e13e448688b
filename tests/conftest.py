"""Shared fixtures: the real bundled models, and a real Chroma store built once per run (once for all xdist workers)."""
from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# The models' OpenMP threads sleep instead of spinning while they wait: the tests run servers, browsers and a
# second xdist worker beside the models, and spinning threads then take the cores from them (a question went from
# 40 ms to 2 s on a busy machine). Set before either engine loads; child processes inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from advisor.answer import Advisor  # noqa: E402
from advisor.embeddings import make_embedder  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from bot.serve import Runtime  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


@pytest.fixture(autouse=True)
def _no_advisor_environment(monkeypatch):
    """Tests see only the settings they build: no ADVISOR_* variables or .env of the developer."""
    for key in list(os.environ):
        if key.startswith("ADVISOR_"):
            monkeypatch.delenv(key)
    monkeypatch.setitem(Settings.model_config, "env_file", None)


def make_settings(tmp: Path, **overrides) -> Settings:
    values = {"store_dir": tmp / "store", "knowledge_dir": KNOWLEDGE} | overrides
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """The session's ONNX exports: child processes get it as ADVISOR_MODEL_CACHE_DIR, never the checkout's var/models."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def embedder(model_cache):
    """The default models (multilingual e5 fused with all-MiniLM-L6-v2), loaded once for the whole run."""
    model = make_embedder(Settings(_env_file=None).embedding_model, model_cache, threads=0)
    model.embed(["warm-up"])
    return model


def run_root(tmp_path_factory) -> Path:
    """The directory every xdist worker of this run shares (the run's own temporary directory without xdist)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def one_at_a_time(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock` across processes: the first xdist worker builds, the others wait and reuse."""
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, embedder) -> Path:
    """knowledge/ ingested once per run into a store, each worker reading its own copy; tests that change a store
    copy it first."""
    from ingest.build import ingest

    shared = run_root(tmp_path_factory) / "knowledge-store"
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "one process")  # a store left by another run is built again
    with one_at_a_time(shared.with_suffix(".lock")):
        if not (shared / "built").exists() or (shared / "built").read_text() != run:
            shutil.rmtree(shared, ignore_errors=True)  # a worker that failed half-way, or another run's
            report = ingest(make_settings(shared), None, embedder)
            assert report.published, report.summary()
            (shared / "built").write_text(run)
    if shared.parent == tmp_path_factory.getbasetemp():
        return shared / "store"
    return shutil.copytree(shared / "store", tmp_path_factory.mktemp("kb") / "store")


@pytest.fixture
def store_copy(built_store, tmp_path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(built_store, target)
    return target


@pytest.fixture(scope="session")
def advisor(built_store, embedder, tmp_path_factory) -> Advisor:
    settings = Settings(_env_file=None, store_dir=built_store, knowledge_dir=KNOWLEDGE)
    return Advisor(settings, embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def make_services(store_copy, tmp_path, embedder):
    """The real Runtime over a copy of the built store, sharing the session's loaded model."""
    made = []

    def make(**overrides) -> Runtime:
        services = Runtime(make_settings(tmp_path, **({"store_dir": store_copy} | overrides)), embedder=embedder)
        services.load()
        made.append(services)
        return services

    yield make
    for services in made:
        services.journal.close()
        services.review.close()


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """A real `chroma run` on a free loopback port for the whole run (each test keeps to its own prefix)."""
    data = tmp_path_factory.mktemp("chroma-data")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(data.parent / f"chroma-{port}.log", "w+") as log:
        server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1", "--port",
                                   str(port), "--path", str(data)], stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while not chroma_answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"`chroma run` did not start on {url}: {log.read()[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(10)


def chroma_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
