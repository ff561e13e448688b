"""The shipped nginx site (deploy/nginx/advisor.conf), run by real nginx on 127.0.0.1 in front of two replicas that
share one real Chroma server: TLS, the redirect, conversations kept on their replica, each client rate-limited by its
own address, and no way through to Chroma. Clients come from several loopback addresses (127.0.0.x) so that the
proxy sees several clients."""
from __future__ import annotations

import os
import pwd
import re
import shutil
import ssl
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from advisor.settings import Settings
from bot.serve import Runtime
from bot.web import create_app
from ingest.build import ingest

from .conftest import KNOWLEDGE, free_port
from .deployment import DEPLOY

SITE = DEPLOY / "nginx" / "advisor.conf"
NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
pytestmark = [pytest.mark.chroma_server,
              pytest.mark.skipif(NGINX is None, reason="nginx is not installed (`make system-packages` installs it)")]
CONFERENCE = "Can I attend a conference in Russia?"
FOLLOW_UP = "Is that the same in Wallonia?"
PER_MINUTE = 6  # each replica's web rate limit per client, low enough to reach in a test


class Replica:
    """One `advisor serve` web server as bot/serve.py configures uvicorn (no proxy headers of uvicorn's own), in a
    thread of this process so that the model loads once."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime, self.port = runtime, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start()

    def start(self) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(create_app(self.runtime), host="127.0.0.1", port=self.port,
                                                    log_level="warning", proxy_headers=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), f"the replica on {self.url} did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def holds(self, conversation: str) -> bool:
        return self.runtime.conversations.is_open(conversation)


@dataclass
class Site:
    https: str
    http: str
    ca: Path
    config: str
    replicas: list[Replica]

    def client(self, address: str) -> httpx.Client:
        """A researcher's client on loopback address `address`, trusting the site's throwaway certificate."""
        transport = httpx.HTTPTransport(local_address=address, verify=ssl.create_default_context(cafile=str(self.ca)))
        return httpx.Client(transport=transport, timeout=30)


def render_site(ports: tuple[int, int], certificate: Path, key: Path, upstreams: list[str]) -> str:
    """The shipped site with only its EDIT values changed: loopback ports instead of 80 and 443 (and no IPv6), this
    test's name, certificate and replicas."""
    site = SITE.read_text()
    http_port, https_port = ports
    changes = [("listen 80;", f"listen 127.0.0.1:{http_port};"), ("listen [::]:80;\n", ""),
               ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"), ("listen [::]:443 ssl http2;\n", ""),
               ("server_name advisor.example.edu;", "server_name advisor.test;"),
               ("/etc/ssl/certs/advisor.example.edu.pem", str(certificate)),
               ("/etc/ssl/private/advisor.example.edu.key", str(key)),
               ("server 10.0.0.11:8001 ", f"server {upstreams[0]} "), ("server 10.0.0.12:8001 ", f"server {upstreams[1]} ")]
    for old, new in changes:
        assert old in site, f"{SITE} no longer has {old!r}: update the test's rendering"
        site = site.replace(old, new)
    return site


def self_signed(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "site.pem", folder / "site.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=advisor.test", "-addext", "subjectAltName=DNS:advisor.test,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(certificate)], check=True, capture_output=True)
    return certificate, key


def start_nginx(folder: Path, site: str) -> subprocess.Popen:
    """nginx in the foreground with everything it writes under `folder`, serving `site` as Debian's nginx.conf would."""
    (folder / "advisor.conf").write_text(site)
    user = f"user {pwd.getpwuid(0).pw_name};\n" if os.geteuid() == 0 else ""  # workers may write under `folder`
    temp = "".join(f"{kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        f"events {{ worker_connections 128; }}\nhttp {{\naccess_log {folder / 'access.log'};\n{temp}"
        f"include {folder / 'advisor.conf'};\n}}\n")
    assert NGINX is not None
    check = subprocess.run([NGINX, "-t", "-p", f"{folder}/", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    return subprocess.Popen([NGINX, "-p", f"{folder}/", "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def site(chroma_url, built_store, embedder, tmp_path_factory):
    """Knowledge published to the Chroma server, two replicas serving it, and nginx in front of them."""
    tmp = tmp_path_factory.mktemp("proxy")
    shutil.copytree(built_store, tmp / "ingester")  # its embedding cache spares the model
    prefix = f"p{uuid.uuid4().hex[:12]}"

    def settings(host: str) -> Settings:
        return Settings(_env_file=None, store_dir=tmp / host, knowledge_dir=KNOWLEDGE, chroma_url=chroma_url,
                        chroma_prefix=prefix, trusted_proxies="127.0.0.1", web_rate_limit_per_minute=PER_MINUTE)

    assert ingest(settings("ingester"), None, embedder).published
    runtimes = [Runtime(settings(f"replica{i}"), embedder=embedder) for i in (1, 2)]
    for runtime in runtimes:
        runtime.load()
    replicas = [Replica(runtime) for runtime in runtimes]
    nginx = None
    try:
        ports = free_port(), free_port()
        config = render_site(ports, *self_signed(tmp), [f"127.0.0.1:{r.port}" for r in replicas])
        nginx = start_nginx(tmp, config)
        https, ca = f"https://127.0.0.1:{ports[1]}", tmp / "site.pem"
        deadline = time.monotonic() + 20
        while not _answers(https, ca):
            if nginx.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"nginx did not start: {(tmp / 'error.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield Site(https, f"http://127.0.0.1:{ports[0]}", ca, config, replicas)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        for replica in replicas:
            replica.stop()
            replica.runtime.journal.close()


def _answers(url: str, ca: Path) -> bool:
    try:
        return httpx.get(f"{url}/healthz", verify=ssl.create_default_context(cafile=str(ca)), timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_an_answer_with_quotes_comes_through_the_proxy_over_https(site):
    with site.client("127.0.0.2") as researcher:
        response = researcher.post(f"{site.https}/api/ask", json={"question": CONFERENCE})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["answered"] and answer["quotes"] and all(q["text"] and q["document"] for q in answer["quotes"])
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "default-src 'none'" in response.headers["content-security-policy"]  # the app's own headers pass through


def test_plain_http_is_redirected_to_https(site):
    with site.client("127.0.0.3") as researcher:
        page = researcher.get(f"{site.http}/documents/some%20document.md?lang=fr")
        ask = researcher.post(f"{site.http}/api/ask", json={"question": CONFERENCE})
    assert page.status_code == 301 and page.headers["location"] == "https://advisor.test/documents/some%20document.md?lang=fr"
    assert ask.status_code == 301 and ask.headers["location"] == "https://advisor.test/api/ask"


def test_clients_are_spread_over_both_replicas_and_each_conversation_stays_on_its_own(site):
    holders = set()
    for n in range(10, 26):
        with site.client(f"127.0.0.{n}") as researcher:
            first = researcher.post(f"{site.https}/api/ask", json={"question": CONFERENCE}).json()
            key = first["conversation"]
            [holder] = [r for r in site.replicas if r.holds(key)]
            holders.add(holder.port)
            follow = researcher.post(f"{site.https}/api/ask", json={"question": FOLLOW_UP, "conversation": key}).json()
        assert follow["conversation"] == key and follow["context"], f"client 127.0.0.{n}'s follow-up lost its conversation"
        assert follow["quotes"][0]["passage_id"] == first["quotes"][0]["passage_id"]
    assert holders == {r.port for r in site.replicas}
    # What the proxy spares each client: the replica that does not hold a conversation reads its follow-up alone.
    [other] = [r for r in site.replicas if r is not holder]
    alone = httpx.post(f"{other.url}/api/ask", json={"question": FOLLOW_UP, "conversation": key}, timeout=30).json()
    assert alone["conversation"] != key and alone["context"] == ""


def test_each_client_is_rate_limited_by_its_own_address_not_the_proxys(site):
    with site.client("127.0.0.40") as busy:
        assert [busy.get(f"{site.https}/api/sources").status_code for _ in range(PER_MINUTE)] == [200] * PER_MINUTE
        limited = busy.get(f"{site.https}/api/sources")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # The proxy replaces whatever X-Forwarded-For a client sends: naming another address does not help.
        assert busy.get(f"{site.https}/api/sources", headers={"X-Forwarded-For": "127.0.0.41"}).status_code == 429
    with site.client("127.0.0.41") as other:
        assert other.get(f"{site.https}/api/sources").status_code == 200


def test_the_chroma_server_cannot_be_reached_through_the_proxy(site, chroma_url):
    assert httpx.get(f"{chroma_url}/api/v2/heartbeat", timeout=5).status_code == 200  # it is up, on its own port
    chroma_port = chroma_url.rsplit(":", 1)[1]
    assert not re.search(rf":{chroma_port}\b", site.config)
    with site.client("127.0.0.50") as prober:
        for path in ("/api/v2/heartbeat", "/api/v2/tenants/default_tenant/databases/default_database/collections",
                     "/api/v1/heartbeat"):
            for host in ("advisor.test", f"127.0.0.1:{chroma_port}"):
                response = prober.get(f"{site.https}{path}", headers={"Host": host})
                assert response.status_code == 404 and set(response.json()) == {"error"}, (path, host, response.text)


def test_a_body_over_the_apps_limit_is_refused_by_the_proxy_as_json(site):
    with site.client("127.0.0.60") as client:
        too_large = client.post(f"{site.https}/api/ask", content=b'{"question": "' + b"x" * 20_000 + b'"}',
                                headers={"Content-Type": "application/json"})
        assert too_large.status_code == 413 and "larger than" in too_large.json()["error"]
        # An admin's upload may be larger (up to ADVISOR_MAX_UPLOAD_BYTES): it passes the proxy and reaches the app,
        # which has no admin endpoints here (no admin token), hence the app's 404.
        upload = client.post(f"{site.https}/admin/documents", files={"file": ("big.md", b"x" * 1_000_000)})
        assert upload.status_code == 404 and set(upload.json()) == {"error"}


def test_a_stopped_replicas_clients_are_answered_by_the_other(site):
    stopped, running = site.replicas

    def ask(address: str) -> str:
        with site.client(address) as researcher:
            response = researcher.post(f"{site.https}/api/ask", json={"question": CONFERENCE})
        assert response.status_code == 200 and response.json()["answered"], (address, response.text)
        return response.json()["conversation"]

    clients = [f"127.0.0.{n}" for n in range(70, 86)]
    assert any(stopped.holds(ask(address)) for address in clients)  # some of them are the stopped replica's
    stopped.stop()
    try:
        assert all(running.holds(ask(address)) for address in clients)
    finally:
        stopped.start()
