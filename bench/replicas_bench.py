"""Server mode: answers/s of one and of two `advisor serve` replicas sharing one Chroma server, and how long a
replica takes to serve a version published elsewhere.

Starts `chroma run` on 127.0.0.1 with its data in a temp dir, copies the serving version of a built directory store
into it (the models stay the store's: no ingestion is timed), then starts the replicas, each with its own
ADVISOR_STORE_DIR and nothing but ADVISOR_CHROMA_URL in common. The clients are web_bench.py's.

    python bench/replicas_bench.py --from-store var/store
    python bench/replicas_bench.py --from-store var/store --clients 8,32 --seconds 15
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, load_average  # noqa: E402  (sets the offline environment first)

# isort: split
from advisor.store import KnowledgeStore, ServerStore  # noqa: E402
from bench.load import free_port, load, questions, wait_ready


def start_chroma(data: Path, port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1", "--port", str(port),
                               "--path", str(data)], stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"`chroma run` did not start: {log.read_text()[-1000:]}")


def copy_version(source: KnowledgeStore, target: ServerStore) -> str:
    """Write the serving version of a directory store into the server, as the next version there, and publish it."""
    snapshot = source.load()
    with target.lock(wait_seconds=30):
        version = target.next_version_id()
        target.write_version(replace(snapshot.info, id=version), snapshot.units, snapshot.vectors)
        target.publish(version)
    return version


def start_replica(port: int, store_dir: Path, env: dict, log: Path) -> subprocess.Popen:
    env = env | {"ADVISOR_WEB_PORT": str(port), "ADVISOR_WEB_HOST": "127.0.0.1", "ADVISOR_STORE_DIR": str(store_dir),
                 "ADVISOR_WEB_RATE_LIMIT_PER_MINUTE": "100000000"}  # one client address: the limit would measure itself
    env = {"ADVISOR_REMEMBERED_QUESTIONS": "0"} | env  # the clients ask their list over and over: each through the models
    return subprocess.Popen([sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())", "serve"],
                            env=env, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)


async def spread(ports: list[int], bodies: list[bytes], clients: int, total: int, seconds: float) -> dict:
    """`clients` connections shared evenly by the replicas, as a load balancer would; figures summed."""
    shares = [clients // len(ports) + (i < clients % len(ports)) for i in range(len(ports))]
    results = await asyncio.gather(*(load(p, "POST", "/api/ask", bodies, n, total // len(ports), seconds)
                                     for p, n in zip(ports, shares) if n))
    return {"per_second": sum(r["per_second"] for r in results), "errors": sum(r["errors"] for r in results),
            "p95": max(r["p95"] for r in results), "requests": sum(r["requests"] for r in results)}


def version_of(port: int) -> str | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
        return json.load(response).get("version")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-store", type=Path, required=True, help="a built directory store (`advisor ingest`)")
    parser.add_argument("--clients", default="8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--requests", type=int, default=400, help="at most this many requests per level")
    parser.add_argument("--seconds", type=float, default=15.0, help="at most this long per level")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env |= {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    bodies = [json.dumps({"question": q}).encode() for q in questions(ROOT / "knowledge")]

    with tempfile.TemporaryDirectory(prefix="replicas-bench-") as tmp:
        work = Path(tmp)
        chroma_port = free_port()
        chroma = start_chroma(work / "chroma", chroma_port, work / "chroma.log")
        url = f"http://127.0.0.1:{chroma_port}"
        env["ADVISOR_CHROMA_URL"] = url
        server_store = ServerStore(url)
        replicas: list[subprocess.Popen] = []
        try:
            first = copy_version(KnowledgeStore(args.from_store), server_store)
            ports = [free_port(), free_port()]
            for n, port in enumerate(ports):
                replicas.append(start_replica(port, work / f"replica{n}", env, work / f"replica{n}.log"))
            for port, replica in zip(ports, replicas):
                wait_ready(port, replica)
            print(f"Chroma at {url}; replicas on {ports}, serving {first}; CPUs {os.cpu_count()}; "
                  f"load average {load_average()}", flush=True)
            asyncio.run(spread(ports, bodies, 4, 40, 30))  # warm-up

            rows = []
            for clients in (int(c) for c in args.clients.split(",")):
                for used in (ports[:1], ports):
                    r = asyncio.run(spread(used, bodies, clients, args.requests, args.seconds))
                    rows.append((len(used), clients, r))
                    print(f"  {len(used)} replica(s), {clients:>3} clients: {r['per_second']:6.1f} answers/s  "
                          f"p95 {r['p95']:6.1f} ms  errors {r['errors']}", flush=True)

            started = time.monotonic()
            second = copy_version(KnowledgeStore(args.from_store), server_store)
            published = time.monotonic()
            while any(version_of(p) != second for p in ports) and time.monotonic() - published < 60:
                time.sleep(0.1)
            print(f"\nA version published from a third place ({second}, written in {published - started:.1f} s) was served "
                  f"by both replicas {time.monotonic() - published:.1f} s after its publish.")
        finally:
            for replica in replicas:
                replica.terminate()
                replica.wait(15)
            chroma.terminate()
            chroma.wait(10)
        print(f"load average after: {load_average()}\n")
        print("| replicas | clients | answers | errors | answers/s | p95 ms |")
        print("|---:|---:|---:|---:|---:|---:|")
        for count, clients, r in rows:
            print(f"| {count} | {clients} | {r['requests']} | {r['errors']} | {r['per_second']:.1f} | {r['p95']:.1f} |")
        return 1 if any(r["errors"] for _, _, r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
