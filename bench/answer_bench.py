"""The engine with each embedding model beside the LangChain tutorial RAG: same questions, same knowledge, one run.

Run from the project root:  .venv/bin/python bench/answer_bench.py
Knowledge: the shipped knowledge/, its documents alone (no attached questions, synonyms or translations) and the
communiqué alone. Questions: eval/*.jsonl (tuning and held-out parts) and knowledge/checks.jsonl (bench/fitting.py).
Prints the tables and writes bench/results/answer_bench.json.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, load_average, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from advisor.documents import LANGUAGES  # noqa: E402
from advisor.evaluate import percentile, run, summarize  # noqa: E402
from advisor.settings import BUNDLED_MODEL, BUNDLED_MULTILINGUAL, Settings  # noqa: E402
from bench.fitting import applies, knowledge_configs, question_sets  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "answer_bench.json"
MODELS = {
    "engine, e5 + MiniLM (default)": f"{BUNDLED_MULTILINGUAL}+{BUNDLED_MODEL}",
    "engine, e5 alone": BUNDLED_MULTILINGUAL,
    "engine, MiniLM alone": BUNDLED_MODEL,
}
TUTORIAL = "LangChain tutorial (MiniLM)"
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

    from advisor.documents import Document
    from advisor.errors import DocumentError
    from ingest.discover import discover
    from ingest.formats import DOCUMENT_TYPES
    from ingest.load import RESERVED, load

    documents = []
    for path, name in discover([knowledge]):
        if name.lower() in RESERVED or name.endswith(".meta.yaml") or not name.lower().endswith(DOCUMENT_TYPES):
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
    from advisor.embeddings import resolve_model

    return resolve_model(BUNDLED_MODEL)


def baseline_embeddings():
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=bundled_model_path(), model_kwargs={"device": "cpu"})


# Answer quality and latency -----------------------------------------------------------
def evaluate(approach, cases) -> dict:
    results = run(approach, cases)
    summary = summarize(results)
    figures = {"all": _scores(results)} | {lang: _scores([r for r in results if r.case.lang == lang]) for lang in LANGUAGES}
    figures["median_first_quote_chars"] = summary.overall.median_first_quote_chars
    figures["misses"] = [m.id for m in summary.misses]
    return figures


def _scores(results) -> dict:
    answer = [r for r in results if r.case.kind == "answer"]
    out = [r for r in results if r.case.kind == "abstain"]
    return {"hit_at_1": sum(r.rank == 1 for r in answer), "answerable": len(answer),
            "declined": sum(not r.answered for r in out), "out_of_scope": len(out)}


def measure_latency(advisor, embedder, cases, rounds: int) -> dict:
    """Warm, interleaved per question: the bare query embedding of every model the engine runs, then the answer."""
    for case in cases[:3]:
        advisor.ask(case.question, case.lang)
    floor, answer = [], []
    for _ in range(rounds):
        for case in cases:
            started = time.perf_counter()
            embedder.embed([case.question], query=True)
            floor.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            advisor.ask(case.question, case.lang)
            answer.append((time.perf_counter() - started) * 1000)
    p50, floor_p50 = percentile(answer, 50), statistics.median(floor)
    return {"questions": len(cases), "rounds": rounds, "answer_p50_ms": round(p50, 2),
            "answer_p95_ms": round(percentile(answer, 95), 2), "floor_p50_ms": round(floor_p50, 2),
            "p50_over_floor": round(p50 / floor_p50, 2)}


# Ingestion ------------------------------------------------------------------------------
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
def _cell(f: dict) -> str:
    hit = f"{f['hit_at_1']}/{f['answerable']}" if f["answerable"] else "-"
    return hit + (f" ({f['declined']}/{f['out_of_scope']})" if f["out_of_scope"] else "")


def print_quality(rows: list[dict]) -> None:
    print("\n## hit@1 of answerable questions (declined / out-of-scope)")
    table = []
    for row in rows:
        f = row["figures"]
        table.append([row["knowledge"], row["set"], row["approach"], _cell(f["all"]), _cell(f["en"]), _cell(f["fr"]),
                      _cell(f["nl"]), f["median_first_quote_chars"]])
    print_table(["knowledge", "questions", "approach", "all", "en", "fr", "nl", "1st quote chars"], table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="times each latency question is timed")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--baseline-ingest", nargs=2, type=Path, metavar=("KNOWLEDGE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.baseline_ingest:
        baseline_ingest_child(*args.baseline_ingest)
        return 0

    from advisor.answer import Advisor
    from advisor.embeddings import make_embedder
    from ingest.build import ingest

    started = time.perf_counter()
    results = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": load_average(),
                           "python": platform.python_version()}, "quality": [], "ingest": {}}
    print(f"load average at start: {results['machine']['load_avg_at_start']} on {results['machine']['cpus']} CPUs")
    folders = knowledge_configs()
    sets = question_sets()
    lc_embeddings = baseline_embeddings()
    with tempfile.TemporaryDirectory(prefix="answer-bench-") as tmp:
        tmp = Path(tmp)
        for label, spec in MODELS.items():
            embedder = make_embedder(spec, tmp / "models", threads=1)  # answering runs one thread per question
            embedder.embed(["warm-up"], query=True)
            for knowledge, folder in folders.items():
                settings = Settings(_env_file=None, store_dir=tmp / label / knowledge, knowledge_dir=folder,
                                    embedding_model=spec)
                began = time.perf_counter()
                report = ingest(settings, [folder], embedder)
                seconds = time.perf_counter() - began
                results["ingest"].setdefault(label, {})[knowledge] = {
                    "seconds": round(seconds, 2), "passages": report.passages, "embedded_texts": report.embedded,
                    "texts_per_s": round(report.embedded / seconds, 1)}
                advisor = Advisor(settings, embedder)
                for name, (part, cases) in sets.items():
                    if applies(knowledge, name):
                        results["quality"].append({"knowledge": knowledge, "set": name, "part": part, "approach": label,
                                                   "figures": evaluate(advisor, cases)})
                if label.endswith("(default)") and knowledge == "shipped":
                    latency_cases = [c for n in ("dev", "public-faq.heldout") if n in sets for c in sets[n][1]]
                    results["latency"] = measure_latency(advisor, embedder, latency_cases, args.rounds)
        for knowledge, folder in folders.items():
            store, _ = baseline_build(folder, tmp / "tutorial" / knowledge, lc_embeddings)
            tutorial = TutorialRAG(store)
            for name, (part, cases) in sets.items():
                if applies(knowledge, name):
                    results["quality"].append({"knowledge": knowledge, "set": name, "part": part, "approach": TUTORIAL,
                                               "figures": evaluate(tutorial, cases)})
    order = list(MODELS) + [TUTORIAL]
    results["quality"].sort(key=lambda r: (list(folders).index(r["knowledge"]), r["set"], order.index(r["approach"])))
    print_quality(results["quality"])

    print("\n## Ingestion, embedding with one thread (texts: passages, sentences, translations, attached questions)")
    print_table(["approach", *folders], [[label, *(f"{v['embedded_texts']} texts, {v['seconds']} s = {v['texts_per_s']}/s"
                                                   for v in per.values())] for label, per in results["ingest"].items()])
    cold = measure_ingest_cold(ROOT / "knowledge")
    results["ingest_fresh_process"] = cold
    print("\n## Full ingest of knowledge/ as a fresh process (engine: `advisor ingest --no-checks`, default models)")
    print_table(["approach", "wall s", "peak RSS MB"], [[k, v["wall_s"], v["peak_rss_mb"]] for k, v in cold.items()])
    lat = results["latency"]
    print(f"\n## Warm answer, shipped knowledge, {lat['questions']} questions x {lat['rounds']}: p50 {lat['answer_p50_ms']} ms, "
          f"p95 {lat['answer_p95_ms']} ms; bare query embedding (both models) p50 {lat['floor_p50_ms']} ms; "
          f"ratio {lat['p50_over_floor']} (target <= 1.5)")
    results["machine"]["load_avg_at_end"] = load_average()
    results["seconds"] = round(time.perf_counter() - started, 1)
    write_results(args.output, results)
    print(f"\nload average at end: {results['machine']['load_avg_at_end']}; wrote {args.output} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
