"""Re-ingestion from process start (issue 6): unchanged knowledge, one changed document, and --force as the baseline;
and the regression gate alone, with its check questions' vectors cached against the baseline of embedding them anew.

Run from the project root:  .venv/bin/python bench/reingest_bench.py [--knowledge DIR] [--runs N]
Prints a table and writes bench/results/reingest_bench.json.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, advisor_command, load_average, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split

RESULTS = ROOT / "bench" / "results" / "reingest_bench.json"
CHANGED_DOC = "guidance/researchers-at-risk.md"
ADDED_SENTENCE = "\n\nThis sentence was appended by the re-ingestion benchmark to change the document.\n"
UNCHANGED_TARGET_S = 2.0




def timed_ingest(knowledge: Path, store: Path, *extra: str) -> dict:
    """One `advisor ingest --json` as a fresh process: wall time from start, and its report."""
    argv = advisor_command() + ["ingest", str(knowledge), "--store", str(store), "--json", *extra]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=240)
    wall = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise SystemExit(f"`{' '.join(argv)}` printed no report (exit {done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(lines[-1])
    return {
        "wall_s": round(wall, 2), "exit": done.returncode, "published": report["published"],
        "embedded": report["embedded"], "passages": report["passages"], "documents": report["documents"],
        "changed": report["changed"], "passages_added": report["passages_added"],
        "passages_removed": report["passages_removed"], "reason": report["reason"],
        "report_seconds": round(report["seconds"], 2),
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with every wall time beside it."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["wall_s"] = round(statistics.median(r["wall_s"] for r in runs), 2)
    chosen["all_wall_s"] = [r["wall_s"] for r in runs]
    return chosen




def timed_gate(knowledge: Path, store: Path, runs: int) -> dict:
    """The gate of the serving version against itself, in this process: every run with the store's vector cache
    (the check questions asked from it after the first), and every run with an empty one (the baseline: the questions
    through both models again, as every gate did before they were cached)."""
    from advisor.embeddings import embedder_for
    from advisor.settings import Settings
    from advisor.store import open_store
    from ingest.cache import VECTOR_CACHE
    from ingest.gate import checks_gate

    settings = Settings(_env_file=None, store_dir=store, knowledge_dir=knowledge)
    embedder = embedder_for(settings)
    embedder.embed(["warm-up"], query=True)
    serving = open_store(settings).current_id()
    assert serving, "the benchmark's store serves no version"
    checks = knowledge / settings.checks_file
    times: dict[str, list[float]] = {"cached": [], "baseline": []}
    for _ in range(runs):
        for kind in times:
            cache = store / VECTOR_CACHE
            aside = cache.with_suffix(".aside")
            if kind == "baseline":
                cache.rename(aside)
            try:
                started = time.perf_counter()
                outcome = checks_gate(settings, embedder)(open_store(settings), serving, serving, checks)
                times[kind].append(time.perf_counter() - started)
            finally:
                if kind == "baseline":
                    cache.unlink(missing_ok=True)
                    aside.rename(cache)
            assert outcome.total, "the gate asked no checks"
    return {kind: {"median_s": round(statistics.median(t), 2), "all_s": [round(x, 2) for x in t]}
            for kind, t in times.items()} | {"checks": outcome.total}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--runs", type=int, default=3, help="runs of the unchanged re-ingest (median reported)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    load_start = load_average()
    print(f"load average at start: {load_start} on {os.cpu_count()} CPUs; command: {' '.join(advisor_command())}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reingest-bench-") as tmp:
        tmp = Path(tmp)
        knowledge, store = tmp / "knowledge", tmp / "store"
        shutil.copytree(args.knowledge, knowledge)  # the change below must never touch the real knowledge

        first = timed_ingest(knowledge, store)
        total_texts = first["embedded"]  # an empty store embeds every text once
        unchanged = median_run([timed_ingest(knowledge, store) for _ in range(args.runs)])
        forced = timed_ingest(knowledge, store, "--force")
        with (knowledge / CHANGED_DOC).open("a", encoding="utf-8") as doc:
            doc.write(ADDED_SENTENCE)
        changed = timed_ingest(knowledge, store)
        gate = timed_gate(knowledge, store, args.runs)

    rows = {
        "first full ingest (empty store)": first,
        f"re-ingest, unchanged (median of {args.runs})": unchanged,
        "re-ingest, one document changed": changed,
        "baseline: re-ingest, unchanged, --force": forced,
    }
    print()
    print_table(
        ["run", "wall s", "embedded", "of texts", "passages", "+/- passages", "published", "exit"],
        [[name, f"{r['wall_s']:.2f}", r["embedded"], total_texts, r["passages"],
          f"+{r['passages_added']}/-{r['passages_removed']}", "yes" if r["published"] else "no", r["exit"]]
         for name, r in rows.items()],
    )
    ok_time = unchanged["wall_s"] < UNCHANGED_TARGET_S
    print(f"\ntarget: unchanged re-ingest < {UNCHANGED_TARGET_S:.0f} s and nothing embedded -> "
          f"{unchanged['wall_s']:.2f} s ({'met' if ok_time else 'NOT met'}), embedded {unchanged['embedded']} "
          f"({'met' if unchanged['embedded'] == 0 else 'NOT met'})")
    print(f"target: one changed document ({CHANGED_DOC}) re-embeds only its texts -> embedded {changed['embedded']} "
          f"of {total_texts}; changed: {', '.join(changed['changed']) or 'none'}")
    print(f"unchanged runs: {unchanged['all_wall_s']} s")
    print(f"the gate alone ({gate['checks']} checks, median of {args.runs}): {gate['cached']['median_s']:.2f} s with "
          f"the check questions cached, baseline {gate['baseline']['median_s']:.2f} s embedding them anew")

    results = {
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": load_start,
                    "load_avg_at_end": load_average()},
        "knowledge": str(args.knowledge), "changed_document": CHANGED_DOC, "total_texts": total_texts,
        "first": first, "unchanged": unchanged, "one_changed": changed, "baseline_force": forced,
        "gate": gate,
        "targets": {"unchanged_under_2s": ok_time, "unchanged_embeds_nothing": unchanged["embedded"] == 0},
        "seconds": round(time.perf_counter() - started, 1),
    }
    write_results(args.output, results)
    print(f"load average at end: {results['machine']['load_avg_at_end']}; wrote {args.output} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
