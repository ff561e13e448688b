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
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from bench.load import build_store, free_port, load, questions, serving_memory, start_server, wait_ready  # noqa: E402


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
    parser.add_argument("--remember", type=int, default=0, metavar="N",
                        help="ADVISOR_REMEMBERED_QUESTIONS for the server (default 0: every question through the models, "
                             "as the model alone is measured; the server's own default remembers 4096)")
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
    env["ADVISOR_REMEMBERED_QUESTIONS"] = str(args.remember)
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
        write_results("web_bench.json", {"model": alone.description, "load_average_before": load_before,
                                         "load_average_after": load_after, "memory_mb": memory,
                                         "rows": [{"endpoint": name} | r for name, r in rows]})
        failed = [r for _, r in rows if r["errors"]]
        for r in failed:
            print(f"errors at {r['clients']} clients, first: {r['first_error']}")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
