"""Fit the ranking and the covered-or-not decision on the tuning questions; report them on the held-out ones.

    python bench/tune_retrieval.py            # fit every entry of advisor/tuning.json, print tune and held-out figures
    python bench/tune_retrieval.py --model M  # fit the entry of models M only ("a+b" for a fusion)
    python bench/tune_retrieval.py --report   # only print the figures of the tuning already in advisor/tuning.json

Three knowledge configurations: the shipped knowledge/, its documents alone (no attached questions, synonyms
or translations), and the communiqué alone as an admin would drop it in. Question sets, all in this repository
(docs/question-sets.md): eval/*.tune.jsonl and knowledge/checks.jsonl are fitted on, eval/*.heldout.jsonl never
are; a missing one is an error. The same code and sets give the same advisor/tuning.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from advisor.answer import Advisor  # noqa: E402
from advisor.documents import LANGUAGES  # noqa: E402
from advisor.embeddings import make_embedder, model_parts  # noqa: E402
from advisor.evaluate import run  # noqa: E402
from advisor.retrieve import FEATURES, Retriever  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from advisor.store import KnowledgeStore  # noqa: E402
from advisor.tuning import TUNING_FILE, Tuning  # noqa: E402
from bench.fitting import applies, build_stores, collect, evidence_rows, fit_evidence, fit_rank, question_sets  # noqa: E402


def report(stores: dict[str, Settings], embedder, sets) -> list[dict]:
    lines = []
    for config, settings in stores.items():
        advisor = Advisor(settings, embedder)
        for set_name, (part, cases) in sets.items():
            if not applies(config, set_name):
                continue
            results = run(advisor, cases)
            for lang in ("all", *LANGUAGES):
                rs = [r for r in results if lang in ("all", r.case.lang)]
                ans = [r for r in rs if r.case.kind == "answer"]
                out = [r for r in rs if r.case.kind == "abstain"]
                lines.append({"knowledge": config, "set": set_name, "part": part, "lang": lang,
                              "hit1": sum(r.rank == 1 for r in ans), "answerable": len(ans),
                              "declined": sum(not r.answered for r in out), "out_of_scope": len(out)})
    return lines


def fit(embedder, stores: dict[str, Settings], sets) -> None:
    """Fit both parts of the tuning for `embedder`'s models and write their entry of advisor/tuning.json."""
    retrievers = {c: Retriever(KnowledgeStore(s.store_dir).load(), embedder, Tuning(rank={})) for c, s in stores.items()}
    tune = {(c, n): collect(retrievers[c], cases) for c in stores for n, (part, cases) in sets.items()
            if part == "tune" and applies(c, n)}
    rank = fit_rank(list(tune.values()))
    for r in retrievers.values():
        r.rank_weights = np.array([rank[n] for n in FEATURES], dtype=np.float32)
    groups = [evidence_rows(retrievers[c], rows) for (c, _), rows in tune.items()]
    evidence, intercept, threshold, confident, confident_by_language = fit_evidence(groups)
    table = json.loads(TUNING_FILE.read_text()) if TUNING_FILE.exists() else {}
    table[embedder.model_id] = {
        "rank": rank, "evidence": evidence, "intercept": intercept, "threshold": threshold,
        "confident": confident, "confident_by_language": confident_by_language,
        # no date: the same code and sets give the same file (the run's date and commit go to bench/results/)
        "fitted": "by bench/tune_retrieval.py on " + ", ".join(sorted({f"{c}/{n}" for c, n in tune})),
    }
    TUNING_FILE.write_text(json.dumps(table, indent=1) + "\n")
    print(json.dumps(table[embedder.model_id], indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="do not fit; report the current tuning")
    parser.add_argument("--model", help="the models to fit for, joined by '+' when fused (default: the configured "
                                         "fusion, then each of its models alone: every entry of advisor/tuning.json)")
    parser.add_argument("--threads", type=int, default=0, help="threads per model (default 0: every core; on a busy "
                                                                   "machine 1 is faster)")
    args = parser.parse_args()
    configured = Settings(_env_file=None).embedding_model
    specs = [args.model] if args.model else list(dict.fromkeys([configured, *model_parts(configured)]))
    sets = question_sets()
    for spec in specs:
        embedder = make_embedder(spec, ROOT / "var" / "models", threads=args.threads)
        stores = build_stores(embedder)
        if not args.report:
            fit(embedder, stores, sets)
        lines = report(stores, embedder, sets)
        slug = "".join(c if c.isalnum() else "-" for c in embedder.model_id)
        write_results(f"tune_retrieval-{slug}.json", lines)
        print(f"\n{embedder.model_id}")
        for line in lines:
            if line["lang"] == "all" or line["set"] != "checks":
                print(f"{line['knowledge']:>10} {line['set']:<20} {line['lang']:>3}  hit@1 {line['hit1']:>3}/{line['answerable']:<3}"
                      f"  declined {line['declined']:>2}/{line['out_of_scope']}")


if __name__ == "__main__":
    main()
