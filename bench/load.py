"""A running `advisor serve` and HTTP load against it: store, server, readiness, memory, the questions, keep-alive
clients (shared by web_bench, replicas_bench and hostile_upload_bench)."""
from __future__ import annotations

import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUESTIONS = [
    "Can I keep working with my Russian co-author?",
    "Can I attend a conference in Russia?",
    "May I invite a Russian researcher to give a seminar?",
    "Are Erasmus exchanges with Russian universities suspended?",
    "Does export control apply to my research software?",
    "Can Russian students still enrol at a Belgian university?",
    "Can a Russian institute join my Horizon Europe project?",
    "What did the Belgian rectors decide in March 2022?",
    "Whom should I ask about dual-use items?",
    "Can I publish a paper with a colleague at a Russian university?",
    "Is sharing research data with Russian partners allowed?",
    "What is knowledge security?",
    "Puis-je continuer à publier avec un coauteur russe ?",
    "Puis-je participer à une conférence en Russie ?",
    "Les échanges Erasmus avec la Russie sont-ils suspendus ?",
    "Le contrôle des exportations s'applique-t-il à ma recherche ?",
    "Mag ik blijven samenwerken met mijn Russische coauteur?",
    "Mag ik naar een congres in Rusland?",
    "Geldt exportcontrole voor mijn onderzoek?",
    "Mag een Russische postdoc in mijn project werken?",
    "What is the recipe for a chocolate cake?",
    "How do I get a parking permit on campus?",
]


def questions(knowledge: Path) -> list[str]:
    """The regression-check questions of the knowledge folder when present, plus a fixed varied list."""
    found = list(QUESTIONS)
    checks = knowledge / "checks.jsonl"
    if checks.is_file():
        for line in checks.read_text().splitlines():
            try:
                found.append(json.loads(line)["question"])
            except (ValueError, KeyError, TypeError):
                continue
    return list(dict.fromkeys(q for q in found if q and len(q) < 500))


class Connection:
    """One keep-alive HTTP/1.1 connection: a client that sends one request at a time."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length, closing = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                closing = True
        payload = await self.reader.readexactly(length)
        if closing:
            self.close()
        return int(status_line.split()[1]), payload

    def close(self) -> None:
        if self.writer:
            self.writer.close()
        self.reader = self.writer = None


async def load(port: int, method: str, path: str, bodies: list[bytes], clients: int, total: int, seconds: float) -> dict:
    """`clients` connections send requests back to back until `total` are done or `seconds` have passed."""
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal issued
        conn = Connection(port)
        try:
            while issued < total and time.perf_counter() < deadline:
                body = bodies[issued % len(bodies)]
                issued += 1
                started = time.perf_counter()
                try:
                    status, payload = await conn.request(method, path, body)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    conn.close()
                    continue
                latencies.append(time.perf_counter() - started)
                if status != 200 or (path == "/api/ask" and b'"quotes"' not in payload):
                    errors.append(f"HTTP {status}: {payload[:120]!r}")
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000 if ordered else float("nan")

    return {"clients": clients, "requests": len(latencies), "errors": len(errors), "first_error": errors[0] if errors else "",
            "per_second": len(latencies) / elapsed, "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.fmean(ordered) * 1000 if ordered else float("nan")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, server: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("the server did not become ready in time")


def build_store(knowledge: Path, store: Path, env: dict) -> None:
    print(f"Building a knowledge store from {knowledge} in {store} …", flush=True)
    subprocess.run([sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
                    "ingest", str(knowledge), "--store", str(store), "--no-checks"], check=True, env=env, cwd=ROOT)


def start_server(store: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    env = env | {"ADVISOR_WEB_PORT": str(port), "ADVISOR_WEB_HOST": "127.0.0.1",
                 "ADVISOR_WEB_RATE_LIMIT_PER_MINUTE": "100000000"}  # one client address: the limit would measure itself
    env = {"ADVISOR_REMEMBERED_QUESTIONS": "0"} | env  # the benches ask their list over and over: each through the models
    env.pop("ADVISOR_TELEGRAM_TOKEN", None)
    return subprocess.Popen([sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
                             "serve", "--store", str(store)], env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)


def serving_memory(pid: int) -> dict[str, float]:
    """The server's resident memory now and at its peak, in MB (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields
