"""Growth: answer latency, memory, load and ingestion time as the guidance grows to 10x, 100x and 300x today's.

The larger sizes are today's knowledge plus synthetic guidance: many universities' pages on the same topics, each
university writing in English, French or Dutch. A synthetic page takes one of today's documents, paragraph by
paragraph, in its university's language (the paragraph's translation for French and Dutch), drops a sentence of
some paragraphs and names its own university as issuer. Embedding tens of thousands of texts with the real models
would take hours on this machine, so each synthetic unit's vector is the vector of the unit it was made from, moved
a little along the difference of two other units' vectors and renormalised: close to its source, in the models'
own region of the space.
The ingestion time at each size is therefore the measured store write plus the embedding time computed from the
throughput of the real models measured in the same run (on synthetic texts), and is labelled so.

Each size is served twice, each time in a fresh process: scoring every unit (exact) and asking Chroma's own
nearest-neighbour index for candidates (index). Both answer the same questions (the held-out communiqué and
held-out public-FAQ sets); the table gives their p50, resident memory, and how often their first quotes agree.

    python bench/scale_bench.py                                   # 1, 10, 100, 300 x; builds the 1x store first
    python bench/scale_bench.py --from-store var/store --sizes 1,10
"""
from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, load_average, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from advisor.documents import LANGUAGES, SUMMARY, DocumentMeta  # noqa: E402
from advisor.passages import PassagePlace, SentenceSpan, Unit, UnitKind  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from advisor.store import KnowledgeStore, open_store  # noqa: E402
from advisor.store.manifest import VersionInfo  # noqa: E402
from advisor.store.snapshot import Snapshot  # noqa: E402
from advisor.text import collapse_space, sentence_spans  # noqa: E402

QUESTION_SETS = [ROOT / "eval" / "communique.heldout.jsonl", ROOT / "eval" / "public-faq.heldout.jsonl",
                 ROOT / "eval" / "public-faq2.heldout.jsonl"]
PLACES = {"en": ["Northfield", "Eastbrook", "Kingsmere", "Ashford", "Lowland", "Riverside", "Harbour", "Westgate"],
          "fr": ["Montclair", "Valmont", "Beaurivage", "Saint-Aubin", "Hautefort", "Clairbois", "Rochemont", "Belval"],
          "nl": ["Zandvoort", "Heidebeek", "Lindendaal", "Oosterveld", "Bergakker", "Waterdam", "Kortemark", "Veldhoven"]}
KIND = {"en": "University of {}", "fr": "Université de {}", "nl": "Universiteit {}"}


# Synthetic guidance ------------------------------------------------------------------------------------------
def university(number: int) -> tuple[str, str]:
    """(language, name) of synthetic university `number` (1, 2, …)."""
    language = LANGUAGES[number % len(LANGUAGES)]
    places = PLACES[language]
    place = places[number % len(places)] + ("" if number < len(places) * 3 else f" {number // (len(places) * 3) + 1}")
    return language, KIND[language].format(place) + f" ({number})"


def grow(base: Snapshot, size: int, dims: tuple[int, ...], seed: int = 7) -> tuple[VersionInfo, list[Unit], np.ndarray]:
    """Today's units plus (size - 1) synthetic universities' copies of every document."""
    rng = random.Random(seed)
    vectors = [base.vectors]
    units = list(base.units)
    documents = list(base.documents.values())
    by_id = {u.id: k for k, u in enumerate(base.units)}
    by_document: dict[str, list] = {}
    for passage in sorted(base.passages.values(), key=lambda p: (p.document, p.position)):
        by_document.setdefault(passage.document, []).append(passage)
    generator = np.random.default_rng(seed)

    def near(row: int, spread: float) -> np.ndarray:
        """A vector close to unit `row`'s, moved along the difference of two other units' vectors (a direction the
        models use, with no pull towards the centre of the knowledge, which would make it match every question),
        each model's part renormalised."""
        one, two = generator.integers(len(base.units), size=2)
        mixed = base.vectors[row] + spread * (base.vectors[one] - base.vectors[two])
        out, offset = np.empty_like(mixed), 0
        for dim in dims:
            part = mixed[offset:offset + dim]
            out[offset:offset + dim] = part / np.linalg.norm(part)
            offset += dim
        return out

    new_vectors: list[np.ndarray] = []
    for number in range(1, size):
        language, name = university(number)
        slug = f"universities/u{number:04d}"
        for document, passages in by_document.items():
            meta = base.documents[document]
            path = f"{slug}/{Path(document).name}"
            documents.append(DocumentMeta(path, f"{meta.title} ({name})", name, meta.date, "", language, SUMMARY))
            for passage in passages:
                translated = passage.translations.get(language) if language != "en" else None
                text = translated or passage.text
                source = by_id[f"{passage.id}:t{language}"] if translated else by_id[f"{passage.id}:p"]
                spans = sentence_spans(text)
                if len(spans) >= 3 and rng.random() < 0.3:  # some universities say less
                    spans.pop(rng.randrange(len(spans)))
                    text = " ".join(text[s:e] for s, e in spans)
                    spans = sentence_spans(text)
                pid = f"{slug}/{passage.id}"
                units.append(Unit(f"{pid}:p", pid, UnitKind.PASSAGE, language, text,
                                  PassagePlace(path, passage.heading, passage.position, passage.paragraph, tuple(spans))))
                new_vectors.append(near(source, 0.3))
                if len(spans) > 1:
                    for i, (s, e) in enumerate(spans):
                        units.append(Unit(f"{pid}:s{i}", pid, UnitKind.SENTENCE, language, text[s:e], SentenceSpan(s, e)))
                        own = by_id.get(f"{passage.id}:s{i}") if not translated else None
                        new_vectors.append(near(own if own is not None else source, 0.4))
    if new_vectors:
        vectors.append(np.stack(new_vectors).astype(np.float32))
    info = replace(base.info, id="v0001", documents=tuple(documents),
                   passages=sum(1 for u in units if u.kind is UnitKind.PASSAGE), passage_ids=())
    return info, units, np.concatenate(vectors)


# One serving process ------------------------------------------------------------------------------------------
def serve_child(store: Path, mode: str, questions: Path, today: Path, chroma: list[str] | None) -> None:
    """Load the store as `advisor serve` does and print one JSON line.

    mode "exact": score every unit; report load time and memory. Mode "index": ask Chroma's index for candidates;
    report load time and memory, then answer every question three ways in turn — today's knowledge, this size
    scoring every unit, this size through the index — so that whatever else the machine does weighs on all three
    alike."""
    from advisor.answer import Advisor
    from advisor.embeddings import embedder_for
    from advisor.evaluate import read_cases

    exact = 10**12 if mode == "exact" else 0
    server = {"chroma_url": chroma[0], "chroma_prefix": chroma[1], "chroma_timeout": 120.0} if chroma else {}
    settings = Settings(_env_file=None, store_dir=store, exact_search_units=exact, **server)
    embedder = embedder_for(settings)
    embedder.embed(["warm-up"], query=True)
    advisor = Advisor(settings, embedder)
    started = time.perf_counter()
    retriever = advisor.refresh(force=True).retriever
    load_seconds = time.perf_counter() - started
    cases = read_cases(questions)
    for case in cases[:5]:  # warm: the index's first query reads it from disk
        advisor.ask(case.question, case.lang)
    out: dict = {"load_s": load_seconds}
    if mode == "index":
        small = Advisor(Settings(_env_file=None, store_dir=today), embedder)
        results: dict[str, list] = {"today": [], "exact": [], "index": []}
        for _ in range(2):
            for case in cases:
                results["today"].append(asked(small, case))
                retriever.exact_search_units = 10**12
                results["exact"].append(asked(advisor, case))
                retriever.exact_search_units = 0
                results["index"].append(asked(advisor, case))
        started = time.perf_counter()
        for case in cases:
            embedder.embed([case.question], query=True)
        out["embed_ms"] = (time.perf_counter() - started) * 1000 / len(cases)
        for name, rows in results.items():
            answers = list(zip(cases, rows[:len(cases)]))
            out[name] = {
                "p50_ms": statistics.median(ms for ms, *_ in rows),
                "p95_ms": sorted(ms for ms, *_ in rows)[int(0.95 * (len(rows) - 1))],
                "first": [first for case, (_, first, _) in answers],
                "hit": sum(1 for case, (_, _, hit) in answers if case.kind == "answer" and hit),
                "answerable": sum(1 for case, _ in answers if case.kind == "answer"),
                "declined": sum(1 for case, (_, first, _) in answers if case.kind == "abstain" and first is None),
                "off_topic": sum(1 for case, _ in answers if case.kind == "abstain")}
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    out |= {"rss_mb": int(status["VmRSS"].split()[0]) / 1024, "peak_mb": int(status["VmHWM"].split()[0]) / 1024}
    print(json.dumps(out), flush=True)


def asked(advisor, case) -> tuple[float, str | None, bool]:
    """(milliseconds, the passage of today's knowledge the first quote is or was copied from, whether it holds an
    expected phrase) for one question; no quote: (ms, None, False)."""
    started = time.perf_counter()
    answer = advisor.ask(case.question, case.lang)
    ms = (time.perf_counter() - started) * 1000
    if not answer.answered or not answer.quotes:
        return ms, None, False
    first = answer.quotes[0]
    text = collapse_space(first.text).lower()
    return ms, first.passage_id.rsplit("/", 1)[-1], any(collapse_space(e).lower() in text for e in case.expect_any)


def measure(store: Path, mode: str, questions: Path, today: Path, chroma: list[str] | None) -> dict:
    server = ["--chroma", *chroma] if chroma else []
    done = subprocess.run([sys.executable, __file__, "--serve", str(store), "--mode", mode, "--questions", str(questions),
                           "--today", str(today), *server], capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"the {mode} server for {store} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def chroma_server(data: Path):
    """`chroma run` on a free port of 127.0.0.1, its data in `data`; yields its URL and process id."""
    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    log = (data.parent / "chroma.log").open("w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1", "--port", str(port),
                               "--path", str(data)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"`chroma run` did not start on {url} (see {log.name})")
            time.sleep(0.2)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def summary(row: dict) -> dict:
    """A row without the per-question first passages."""
    def strip(value):
        return {k: strip(v) for k, v in value.items() if k != "first"} if isinstance(value, dict) else value
    return strip(row)


# The run ------------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-store", type=Path, help="a built store of knowledge/ (default: build one in a temp dir)")
    parser.add_argument("--sizes", default="1,10,100,300", help="multiples of today's knowledge, comma-separated")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale_bench.json")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("exact", "index"), help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--today", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--chroma", nargs=2, metavar=("URL", "PREFIX"), help=argparse.SUPPRESS)
    parser.add_argument("--server", action="store_true",
                        help="keep each size in a `chroma run` on 127.0.0.1, as replicas of a shared store read it")
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve, args.mode, args.questions, args.today, args.chroma)
        return 0

    from advisor.embeddings import embedder_for
    from advisor.evaluate import read_cases

    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp_name:
        tmp = Path(tmp_name)
        base_store = args.from_store
        if base_store is None:
            base_store = tmp / "base"
            subprocess.run([sys.executable, "-m", "bot.cli", "ingest", str(ROOT / "knowledge"), "--store", str(base_store),
                            "--no-checks"], check=True, cwd=ROOT)
        base = KnowledgeStore(base_store).load()
        questions = tmp / "questions.jsonl"
        questions.write_text("".join(Path(p).read_text(encoding="utf-8") for p in QUESTION_SETS), encoding="utf-8")

        kinds = [case.kind for case in read_cases(questions)]
        embedder = embedder_for(Settings(_env_file=None, store_dir=tmp / "unused"))
        embedder.embed(["warm-up"])
        dims = tuple(getattr(embedder, "dims", ()) or (base.vectors.shape[1],))
        _, sample_units, _ = grow(base, 4, dims)
        sample = [u.text for u in sample_units[len(base.units):]][:240]
        started = time.perf_counter()
        embedder.embed(sample)
        texts_per_second = len(sample) / (time.perf_counter() - started)
        del embedder
        print(f"Embedding throughput of {base.info.model}, passages: {texts_per_second:.1f} texts/s "
              f"(load average {load_average()})", flush=True)

        chroma = contextlib.ExitStack()
        url, server_pid = chroma.enter_context(chroma_server(tmp / "chroma")) if args.server else (None, 0)
        rows = []
        for size in sizes:
            info, units, vectors = grow(base, size, dims)
            local = tmp / f"store-{size}"
            where = [url, f"scale{size}"] if url else None
            store = open_store(Settings(_env_file=None, store_dir=local, chroma_timeout=120.0,
                                        **({"chroma_url": url, "chroma_prefix": f"scale{size}"} if url else {})))
            started = time.perf_counter()
            with store.lock():
                store.write_version(info, units, vectors)
                store.publish(info.id)
            write_seconds = time.perf_counter() - started
            synthetic = len(units) - len(base.units)
            row = {"size": size, "documents": len(info.documents), "passages": info.passages, "units": len(units),
                   "vectors_mb": vectors.nbytes / 2**20, "write_s": write_seconds,
                   "embed_s_computed": synthetic / texts_per_second}
            for mode in ("exact", "index"):
                row[mode] = measure(local, mode, questions, base_store, where)
            if url:
                row["chroma_server_rss_mb"] = _rss_mb(server_pid)
            pairs = list(zip(kinds, row["index"]["exact"]["first"], row["index"]["index"]["first"]))
            row["agree"] = sum(1 for _, a, b in pairs if a == b)
            row["questions"] = len(pairs)
            row["differ_not_covered"] = sum(1 for kind, a, b in pairs if a != b and kind == "abstain")
            print(f"  {size}x: {json.dumps(summary(row))}", flush=True)
            rows.append(row)
            shutil.rmtree(local, ignore_errors=True)
        chroma.close()

        table = []
        for r in rows:
            e, x, paired = r["exact"], r["index"], r["index"]
            ingest = f"{r['write_s']:.0f} + {r['embed_s_computed'] / 60:.0f} min"
            table.append([f"{r['size']}x", r["documents"], r["passages"], r["units"], ingest,
                          f"{e['load_s']:.1f} / {x['load_s']:.1f}", f"{paired['today']['p50_ms']:.1f}",
                          f"{paired['exact']['p50_ms']:.1f} / {paired['index']['p50_ms']:.1f}",
                          f"{paired['index']['p50_ms'] / paired['today']['p50_ms']:.2f}",
                          f"{e['rss_mb']:.0f} / {x['rss_mb']:.0f}", f"{e['peak_mb']:.0f} / {x['peak_mb']:.0f}",
                          f"{r['agree']}/{r['questions']} ({r['differ_not_covered']})",
                          f"{paired['exact']['hit']} / {paired['index']['hit']} of {paired['exact']['answerable']}",
                          f"{paired['exact']['declined']} / {paired['index']['declined']} of {paired['exact']['off_topic']}"])
        print()
        print_table(["size", "documents", "passages", "units", "ingest: write s + embed (computed)", "load s ex/ix",
                     "p50 today", "p50 ms ex/ix", "ix / today", "RSS MB ex/ix", "peak MB ex/ix",
                     "same first passage (differing: not covered)", "hit@1 ex/ix", "declined ex/ix"], table)
        for r in rows:
            if "chroma_server_rss_mb" in r:
                print(f"{r['size']}x: the Chroma server's RSS after serving it {r['chroma_server_rss_mb']:.0f} MB")
        if rows:
            print(f"\nbare query embedding, same run: {rows[-1]['index']['embed_ms']:.1f} ms a question; load average "
                  f"{load_average()}")
        write_results(args.out, {"texts_per_second": texts_per_second, "rows": [summary(r) for r in rows]})
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
