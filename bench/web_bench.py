"""Load benchmark of the web API: answers/s and latency at 1, 8 and 32 concurrent clients, beside two ceilings.

The server runs in its own process (`advisor serve`, real model, a built store) on 127.0.0.1; the
clients are plain keep-alive HTTP/1.1 connections on asyncio, so the load generator itself costs
little CPU on a small machine. Two ceilings are measured in the same run:
- GET /healthz, a trivial FastAPI endpoint behind the same middleware: what the web stack alone serves;
- the model alone: the embedder the server builds (same settings, same threads), in a process of its own,
  embedding the bench's questions in batches of as many as there are clients. Its texts/s is what
  answers/s could reach at that concurrency if answering cost nothing but the forward passes. It is
  measured just before each level's load, never during it, so the two do not share the cores.

    python bench/web_bench.py                  # builds a store from knowledge/ in a temp dir
    python bench/web_bench.py --store var/store --requests 400 --seconds 20
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
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


class ModelAlone:
    """The server's embedder in a process of its own, asked to embed the bench's questions in batches of a given size."""

    def __init__(self, knowledge: Path, env: dict, seconds: float) -> None:
        self.process = subprocess.Popen([sys.executable, __file__, "--model-alone", "--knowledge", str(knowledge),
                                         "--ceiling-seconds", str(seconds)], env=env, cwd=ROOT, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.description = self._reply()["model"]

    def texts_per_second(self, batch: int) -> float:
        self.process.stdin.write(f"{batch}\n")
        self.process.stdin.flush()
        return self._reply()["per_second"]

    def _reply(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the model-alone process exited with code {self.process.wait()}")
        return json.loads(line)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(15)


def model_alone(knowledge: Path, seconds: float) -> None:
    """The child of `ModelAlone`: for each batch size read from stdin, embed every question in batches of it,
    in passes until `seconds` have gone by, and print texts/s."""
    sys.path.insert(0, str(ROOT))
    from advisor.embeddings import embedder_for
    from advisor.settings import Settings

    embedder = embedder_for(Settings())  # what `advisor serve` builds under its batching, from the same environment
    asked = questions(knowledge)
    embedder.embed(asked[:8], query=True)  # load and warm, as the server does before it reports ready
    print(json.dumps({"model": embedder.model_id}), flush=True)
    for line in sys.stdin:
        batch = int(line)
        done, started = 0, time.perf_counter()
        while done == 0 or time.perf_counter() - started < seconds:
            for start in range(0, len(asked), batch):
                done += len(embedder.embed(asked[start:start + batch], query=True))
        print(json.dumps({"per_second": done / (time.perf_counter() - started)}), flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_store(knowledge: Path, store: Path, env: dict) -> None:
    print(f"Building a knowledge store from {knowledge} in {store} …", flush=True)
    subprocess.run([sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
                    "ingest", str(knowledge), "--store", str(store), "--no-checks"], check=True, env=env, cwd=ROOT)


def start_server(store: Path, port: int, env: dict, log: Path) -> subprocess.Popen:
    env = env | {"ADVISOR_WEB_PORT": str(port), "ADVISOR_WEB_HOST": "127.0.0.1",
                 "ADVISOR_WEB_RATE_LIMIT_PER_MINUTE": "100000000"}  # one client address: the limit would measure itself
    env.pop("ADVISOR_TELEGRAM_TOKEN", None)
    return subprocess.Popen([sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
                             "serve", "--store", str(store)], env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)


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


def serving_memory(pid: int) -> dict[str, float]:
    """The server's resident memory now and at its peak, in MB (Linux)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="a built store (default: build one from knowledge/ in a temp dir)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--requests", type=int, default=400, help="at most this many requests per level")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long per level")
    parser.add_argument("--ceiling-seconds", type=float, default=5.0, help="at least this long per batch size, model alone")
    parser.add_argument("--torch-threads", type=int, help="OMP_NUM_THREADS for the server (default: torch's own choice)")
    parser.add_argument("--embedding-threads", type=int, help="ADVISOR_EMBEDDING_THREADS for the server (default: the setting's)")
    parser.add_argument("--query-int8", action="store_true", help="ADVISOR_EMBEDDING_QUERY_INT8=1: questions through int8 MiniLM")
    parser.add_argument("--model-alone", action="store_true", help=argparse.SUPPRESS)  # the ceiling's own process
    args = parser.parse_args()
    if args.model_alone:
        model_alone(args.knowledge, args.ceiling_seconds)
        return 0
    levels = [int(c) for c in args.clients.split(",")]
    env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    env = {k: v for k, v in env.items() if not k.startswith("ADVISOR_")}
    if args.torch_threads:
        env["OMP_NUM_THREADS"] = str(args.torch_threads)
    if args.embedding_threads is not None:
        env["ADVISOR_EMBEDDING_THREADS"] = str(args.embedding_threads)
    if args.query_int8:
        env["ADVISOR_EMBEDDING_QUERY_INT8"] = "1"
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="web-bench-") as tmp:
        store = args.store
        if store is None:
            store = Path(tmp) / "store"
            build_store(args.knowledge, store, env)
        port = free_port()
        server = start_server(store, port, env, Path(tmp) / "server.log")
        alone = ModelAlone(args.knowledge, env, args.ceiling_seconds)
        try:
            wait_ready(port, server)
            asked = questions(args.knowledge)
            bodies = [json.dumps({"question": q}).encode() for q in asked]
            print(f"Server ready on 127.0.0.1:{port}; model {alone.description}; {len(asked)} different questions; "
                  f"CPUs: {os.cpu_count()}; OMP_NUM_THREADS={env.get('OMP_NUM_THREADS', 'unset')}; "
                  f"load average {os.getloadavg()[0]:.1f}.", flush=True)
            asyncio.run(load(port, "POST", "/api/ask", bodies, 4, 40, 30))  # warm-up
            rows = []
            for clients in levels:
                result = asyncio.run(load(port, "GET", "/healthz", [b""], clients, args.requests, args.seconds))
                rows.append(("GET /healthz", result))
                print(f"  GET /healthz   {clients:>3} clients: {result['per_second']:7.1f}/s  p95 {result['p95']:7.1f} ms"
                      f"  errors {result['errors']}", flush=True)
            for clients in levels:  # the model alone, then the server: one after the other, never together
                ceiling = alone.texts_per_second(clients)
                result = asyncio.run(load(port, "POST", "/api/ask", bodies, clients, args.requests, args.seconds))
                result |= {"ceiling": ceiling, "ratio": result["per_second"] / ceiling}
                rows.append(("POST /api/ask", result))
                print(f"  POST /api/ask  {clients:>3} clients: {result['per_second']:7.1f}/s  p95 {result['p95']:7.1f} ms"
                      f"  errors {result['errors']}; model alone, batches of {clients}: {ceiling:.1f} texts/s "
                      f"(ratio {result['ratio']:.2f})", flush=True)
            memory = serving_memory(server.pid)
        finally:
            alone.close()
            server.terminate()
            server.wait(15)
        load_after = os.getloadavg()
        print(f"\nserving memory after the load: RSS {memory['VmRSS']:.0f} MB, peak {memory['VmHWM']:.0f} MB "
              f"(target <= 600 MB)")
        print(f"load average (1 / 5 / 15 min) before {' / '.join(f'{x:.2f}' for x in load_before)}, "
              f"after {' / '.join(f'{x:.2f}' for x in load_after)}")
        print()
        print("| endpoint | clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | model alone, texts/s | ratio |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in rows:
            beside = f"{r['ceiling']:.1f} | {r['ratio']:.2f}" if "ceiling" in r else "— | —"
            print(f"| {name} | {r['clients']} | {r['requests']} | {r['errors']} | {r['per_second']:.1f} | "
                  f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {beside} |")
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "web_bench.json").write_text(json.dumps(
            {"model": alone.description, "load_average_before": load_before, "load_average_after": load_after,
             "memory_mb": memory, "rows": [{"endpoint": name} | r for name, r in rows]}, indent=1) + "\n")
        failed = [r for _, r in rows if r["errors"]]
        for r in failed:
            print(f"errors at {r['clients']} clients, first: {r['first_error']}")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
