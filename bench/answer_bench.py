"""This engine beside the LangChain tutorial RAG, in one process, on the same model and questions.

Run from the project root:  .venv/bin/python bench/answer_bench.py [--set QUESTIONS KNOWLEDGE ...]
Prints the tables and writes bench/results/answer_bench.json.
"""
from __future__ import annotations

from _common import ROOT, load_average, print_table  # noqa: E402  (sets the offline environment first)

import os


import argparse
import json
import logging
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(ROOT))

from bot.evaluate import _percentile, read_cases, run, summarize  # noqa: E402
from bot.settings import BUNDLED_MODEL, Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "answer_bench.json"
COMMUNIQUE = ROOT / "knowledge" / "2022-03-10-cref-vlir-communique.md"
DEFAULT_SETS = [
    (Path("/work/shared/eval/dev.jsonl"), COMMUNIQUE),
    (ROOT / "knowledge" / "checks.jsonl", ROOT / "knowledge"),
]
CHUNK_SIZE, CHUNK_OVERLAP, K = 1000, 200, 4  # what the LangChain tutorials write


# The baseline: the plain LangChain RAG a tutorial would write ---------------------------
@dataclass(frozen=True)
class _Quote:
    text: str


@dataclass(frozen=True)
class _Answer:
    answered: bool
    quotes: tuple[_Quote, ...]


def baseline_documents(knowledge: Path):
    """The project's own loaders, each document's blocks joined as text, so both sides read the same words."""
    from langchain_core.documents import Document as LCDocument

    from bot.errors import DocumentError
    from bot.models import Document
    from ingest.build import discover
    from ingest.load import RESERVED, SUPPORTED, load

    documents = []
    for path, name in discover([knowledge]):
        if name.lower() in RESERVED or name.endswith(".meta.yaml") or not name.lower().endswith(SUPPORTED):
            continue
        try:
            loaded = load(path, name)
        except DocumentError:
            continue
        if isinstance(loaded, Document):  # translations and attached questions are this engine's extras
            text = "\n\n".join(block.text for block in loaded.blocks)
            documents.append(LCDocument(page_content=text, metadata={"source": name}))
    return documents


def baseline_build(knowledge: Path, persist_dir: Path, embeddings):
    """Split, embed and store as the tutorial does; returns (vector store, number of chunks)."""
    from langchain_chroma import Chroma
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    chunks = splitter.split_documents(baseline_documents(knowledge))
    store = Chroma.from_documents(chunks, embeddings, persist_directory=str(persist_dir))
    return store, len(chunks)


class TutorialRAG:
    """Answers like the tutorial: the k nearest chunks, always, as the quotes."""

    def __init__(self, store) -> None:
        self.store = store

    def ask(self, question: str, language: str | None = None) -> _Answer:
        docs = self.store.similarity_search(question, k=K)
        return _Answer(bool(docs), tuple(_Quote(d.page_content) for d in docs))


def bundled_model_path() -> str:
    from bot.embeddings import resolve_model

    return resolve_model(BUNDLED_MODEL)


def baseline_embeddings():
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=bundled_model_path(), model_kwargs={"device": "cpu"})


# Answer quality and latency -----------------------------------------------------------
def measure_set(questions: Path, knowledge: Path, embedder, lc_embeddings, rounds: int, budget_s: float) -> dict:
    """Score both approaches on one question set; latencies interleaved per question so load noise hits both alike."""
    from bot.answer import Advisor
    from ingest.build import ingest

    cases = read_cases(questions)
    with tempfile.TemporaryDirectory(prefix="answer-bench-") as tmp:
        tmp = Path(tmp)
        settings = Settings(store_dir=tmp / "store", knowledge_dir=knowledge if knowledge.is_dir() else knowledge.parent)
        started = time.perf_counter()
        report = ingest(settings, [knowledge], embedder)
        engine_ingest_s = time.perf_counter() - started
        if not report.published:
            raise SystemExit(f"ingesting {knowledge} did not publish: {report.reason} {report.failed}")
        advisor = Advisor(settings, embedder)
        advisor.refresh()
        started = time.perf_counter()
        vector_store, n_chunks = baseline_build(knowledge, tmp / "chroma", lc_embeddings)
        tutorial_ingest_s = time.perf_counter() - started
        tutorial = TutorialRAG(vector_store)
        model = embedder._load()  # the bare SentenceTransformer: its encode() is the floor

        for case in cases[:3]:  # warm-up: caches, first-call allocations
            advisor.ask(case.question, case.lang)
            tutorial.ask(case.question)
            model.encode([case.question])

        engine_results, tutorial_results, floor_ms = [], [], []
        engine_lat, tutorial_lat = [], []
        timing_started, rounds_done = time.perf_counter(), 0
        for round_ in range(rounds):
            spent = time.perf_counter() - timing_started
            if round_ and spent / round_ * (round_ + 1) > budget_s:  # keep the whole bench bounded on a busy machine
                break
            rounds_done += 1
            for case in cases:
                started = time.perf_counter()
                model.encode([case.question])
                floor_ms.append((time.perf_counter() - started) * 1000)
                (e,) = run(advisor, [case])
                (b,) = run(tutorial, [case])
                engine_lat.append(e.latency_ms)
                tutorial_lat.append(b.latency_ms)
                if round_ == 0:
                    engine_results.append(e)
                    tutorial_results.append(b)

    floor = statistics.median(floor_ms)
    return {
        "questions": str(questions), "knowledge": str(knowledge), "rounds": rounds_done,
        "passages": report.passages, "baseline_chunks": n_chunks,
        "ingest": _ingest_figures(engine_ingest_s, report.passages, report.embedded, tutorial_ingest_s, n_chunks),
        "floor_ms": round(floor, 2),
        "approaches": {
            "engine": _figures(engine_results, engine_lat, floor),
            "langchain_tutorial": _figures(tutorial_results, tutorial_lat, floor),
        },
    }


def _figures(results, latencies: list[float], floor: float) -> dict:
    summary = summarize(results)
    p50, p95 = _percentile(latencies, 50), _percentile(latencies, 95)
    return {
        "n_answer": summary["n_answer"], "n_abstain": summary["n_abstain"],
        "hit_at_1": _count(results, lambda r: r.case.kind == "answer" and r.rank == 1),
        "hit_at_3": _count(results, lambda r: r.case.kind == "answer" and r.rank is not None and r.rank <= 3),
        "abstained": _count(results, lambda r: r.case.kind == "abstain" and not r.answered),
        "answered_in_scope": _count(results, lambda r: r.case.kind == "answer" and r.answered),
        "median_first_quote_chars": summary["median_first_quote_chars"],
        "latency_ms": {"p50": round(p50, 2), "p95": round(p95, 2)},
        "p50_over_floor": round(p50 / floor, 2) if floor else None,
        "by_lang": {lang: {"hit_at_1": _count([r for r in results if r.case.lang == lang],
                                              lambda r: r.case.kind == "answer" and r.rank == 1),
                           "n_answer": sum(1 for r in results if r.case.lang == lang and r.case.kind == "answer")}
                    for lang in sorted({r.case.lang for r in results})},
        "misses": [m["id"] for m in summary["misses"]],
    }


def _count(results, predicate) -> int:
    return sum(1 for r in results if predicate(r))


# Ingestion ------------------------------------------------------------------------------
def measure_ingest_warm(knowledge: Path, embedder, lc_embeddings) -> dict:
    """Full ingest into an empty store with the model already loaded: throughput of the pipeline itself."""
    from ingest.build import ingest

    with tempfile.TemporaryDirectory(prefix="answer-bench-ingest-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        report = ingest(Settings(store_dir=tmp / "store", knowledge_dir=knowledge), [knowledge], embedder)
        engine_s = time.perf_counter() - started
        started = time.perf_counter()
        _, n_chunks = baseline_build(knowledge, tmp / "chroma", lc_embeddings)
        tutorial_s = time.perf_counter() - started
    return _ingest_figures(engine_s, report.passages, report.embedded, tutorial_s, n_chunks)


def _ingest_figures(engine_s: float, passages: int, embedded: int, tutorial_s: float, chunks: int) -> dict:
    return {
        "engine": {"seconds": round(engine_s, 3), "passages": passages, "embedded": embedded,
                   "passages_per_s": round(passages / engine_s, 1), "embedded_per_s": round(embedded / engine_s, 1)},
        "langchain_tutorial": {"seconds": round(tutorial_s, 3), "passages": chunks, "embedded": chunks,
                               "passages_per_s": round(chunks / tutorial_s, 1),
                               "embedded_per_s": round(chunks / tutorial_s, 1)},
    }


# Peak memory: a child started straight from this big process would report this process's peak, because Linux
# carries the pre-exec high-water mark across a (v)fork + exec; a tiny wrapper starts it instead.
_PEAK_WRAPPER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def measure_ingest_cold(knowledge: Path) -> dict:
    """Full ingest as a fresh process (model load included): wall time and peak memory, both approaches."""
    figures = {}
    with tempfile.TemporaryDirectory(prefix="answer-bench-cold-") as tmp:
        tmp = Path(tmp)
        runs = {
            "engine": [sys.executable, "-m", "bot.cli", "ingest", str(knowledge), "--store", str(tmp / "store"),
                       "--json", "--no-checks"],
            "langchain_tutorial": [sys.executable, str(Path(__file__).resolve()), "--baseline-ingest",
                                   str(knowledge), str(tmp / "chroma")],
        }
        for name, argv in runs.items():
            peak_kb, wall, status, out, err = _peak_of(argv, tmp / f"{name}.maxrss")
            if status != 0:
                raise SystemExit(f"{name} ingest failed ({status}): {err[-2000:]}")
            figures[name] = {"wall_s": round(wall, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}
            if name == "engine":
                report = json.loads(out.strip().splitlines()[-1])
                figures[name].update(passages=report["passages"], embedded=report["embedded"])
            else:
                figures[name].update(passages=json.loads(out.strip().splitlines()[-1])["chunks"])
    return figures


def _peak_of(argv: list[str], maxrss_file: Path) -> tuple[int, float, int, str, str]:
    """Run argv under the wrapper; return its peak RSS (KiB, Linux), wall time, exit status, stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _PEAK_WRAPPER, str(maxrss_file), *argv],
                              cwd=ROOT, stdout=out, stderr=err, timeout=600)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        peak = int(maxrss_file.read_text()) if maxrss_file.exists() else 0
        return peak, wall, done.returncode, out.read().decode(), err.read().decode()


def baseline_ingest_child(knowledge: Path, persist_dir: Path) -> None:
    """The tutorial's ingest alone, in this process, for its peak memory."""
    _, n_chunks = baseline_build(knowledge, persist_dir, baseline_embeddings())
    print(json.dumps({"chunks": n_chunks}))


# Output ---------------------------------------------------------------------------------


def print_set(section: dict) -> None:
    print(f"\n## {section['questions']}  (knowledge: {section['knowledge']}; {section['passages']} passages, "
          f"{section['baseline_chunks']} tutorial chunks; latency over {section['rounds']} rounds)")
    rows = []
    for name, f in section["approaches"].items():
        na, nx = f["n_answer"], f["n_abstain"]
        langs = " ".join(f"{lang} {v['hit_at_1']}/{v['n_answer']}" for lang, v in f["by_lang"].items() if v["n_answer"])
        rows.append([name, f"{f['hit_at_1']}/{na}", f"{f['hit_at_3']}/{na}", f"{f['abstained']}/{nx}",
                     f["median_first_quote_chars"], f"{f['latency_ms']['p50']:.1f}", f"{f['latency_ms']['p95']:.1f}",
                     f"{section['floor_ms']:.1f}", f"{f['p50_over_floor']:.2f}", langs])
    print_table(["approach", "hit@1", "hit@3", "abstained", "1st quote chars", "p50 ms", "p95 ms",
                 "floor ms", "p50/floor", "hit@1 by lang"], rows)


def print_ingest(warm: dict, cold: dict, knowledge: Path) -> None:
    print(f"\n## Full ingest of {knowledge} into an empty store")
    rows = []
    for name in ("engine", "langchain_tutorial"):
        w, c = warm[name], cold[name]
        rows.append([name, w["passages"], w["embedded"], f"{w['seconds']:.2f}", w["passages_per_s"], w["embedded_per_s"],
                     f"{c['wall_s']:.1f}", c["peak_rss_mb"]])
    print_table(["approach", "passages/chunks", "embedded", "warm s", "passages/s", "embedded/s",
                 "fresh process s", "peak RSS MB"], rows)
    print("warm: model already loaded, in this process.  fresh process: from process start, model load included "
          "(engine: `advisor ingest --no-checks --json`).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", nargs=2, action="append", metavar=("QUESTIONS", "KNOWLEDGE"), type=Path,
                        help="a question set and the file or folder to ingest for it (repeatable)")
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge", help="folder for the ingestion figures")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is timed, at most")
    parser.add_argument("--latency-budget", type=float, default=45.0, metavar="SECONDS",
                        help="start another timing round of a set only if it should end within this")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--baseline-ingest", nargs=2, type=Path, metavar=("KNOWLEDGE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.baseline_ingest:
        baseline_ingest_child(*args.baseline_ingest)
        return 0

    from bot.embeddings import SentenceTransformerEmbedder

    started = time.perf_counter()
    embedder = SentenceTransformerEmbedder(BUNDLED_MODEL)
    lc_embeddings = baseline_embeddings()
    embedder.embed(["warm-up"])
    lc_embeddings.embed_query("warm-up")

    sets = [(Path(q), Path(k)) for q, k in args.set] if args.set else DEFAULT_SETS
    results = {
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": load_average(),
                    "python": platform.python_version(), "model": bundled_model_path()},
        "sets": [],
    }
    print(f"model: {results['machine']['model']}\nload average at start: {results['machine']['load_avg_at_start']} "
          f"on {results['machine']['cpus']} CPUs")
    for questions, knowledge in sets:
        section = measure_set(questions, knowledge, embedder, lc_embeddings, args.rounds, args.latency_budget)
        results["sets"].append(section)
        print_set(section)

    same = [s for s in results["sets"] if Path(s["knowledge"]).resolve() == args.knowledge.resolve()]
    warm = same[0]["ingest"] if same else measure_ingest_warm(args.knowledge, embedder, lc_embeddings)
    cold = measure_ingest_cold(args.knowledge)
    results["ingest"] = {"knowledge": str(args.knowledge), "warm": warm, "fresh_process": cold}
    print_ingest(warm, cold, args.knowledge)

    results["machine"]["load_avg_at_end"] = load_average()
    results["seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nfloor: SentenceTransformer.encode of one question, warm (median).  load average at end: "
          f"{results['machine']['load_avg_at_end']}.  wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output} "
          f"in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
