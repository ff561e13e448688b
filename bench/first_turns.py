"""Questions asked with no earlier turn, on the tuning sets: why the missed ones are missed, and what the
covered-or-not threshold would trade.

    python bench/first_turns.py --store S     # S built by `advisor ingest knowledge --store S`

The questions: the first turn of every thread of the tuning thread sets (each asked alone, as it is asked first)
and the single-question tuning sets, the checks without those a review decision made (the knowledge's own
questions). Each miss gets one cause: declined (as a known gap, or with the right passage first, second or third,
or lower), the right passage found first but another quoted first (the official text's preference or a question
in parts), the right passage second or third below the official text or below a guidance page, or lower. The sweep
counts, per threshold and language, the right first quotes kept and the uncovered questions declined (by the
threshold or as a known gap). Judging sets are never read; threads.heldout, a judge once, is tuning data by
now. Writes bench/results/first_turns.json.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from advisor.answer import Advisor  # noqa: E402
from advisor.documents import LANGUAGES, OFFICIAL  # noqa: E402
from advisor.embeddings import embedder_for  # noqa: E402
from advisor.evaluate import Case, read_cases, read_threads  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from advisor.text import collapse_space  # noqa: E402
from bench.fitting import QUESTION_SETS, without_review  # noqa: E402

THREAD_SETS = ("tune", "heldout", "fresh", "fresh2", "fresh3", "fresh4")  # all tuning data by now
SWEEP = [round(0.30 + k / 100, 2) for k in range(17)]  # 0.30 .. 0.46


def questions() -> dict[str, list[Case]]:
    """set name -> its questions asked with no earlier turn."""
    sets = {}
    for name in THREAD_SETS:
        threads = read_threads(ROOT / "eval" / f"threads.{name}.jsonl") or []
        sets[f"threads.{name}"] = [t.turns[0] for t in threads]
    for name, (part, path) in QUESTION_SETS.items():
        if part == "tune":
            sets[name] = without_review(read_cases(path))
    return sets


def _holds(text: str, case: Case) -> bool:
    return any(collapse_space(e).lower() in collapse_space(text).lower() for e in case.expect_any)


def cause(answered: bool, first_quote_right: bool, place: int | None, gap: bool,
          official_first: bool) -> str:
    """Why an answerable question was missed ("" when it was not); `place` is where the ranking put the right passage."""
    if first_quote_right:
        return ""
    if not answered:
        where = "first" if place == 1 else "2nd-3rd" if place in (2, 3) else "lower"
        return "declined as a known gap" if gap else f"declined, right passage {where}"
    if place == 1:
        return "right passage first, another quoted first"
    if place in (2, 3):
        return f"right passage 2nd-3rd, below {'the official text' if official_first else 'a guidance page'}"
    return "right passage 4th or lower"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="a store built from knowledge/")
    args = parser.parse_args()
    settings = Settings(store_dir=args.store)
    advisor = Advisor(settings, embedder_for(settings))
    loaded = advisor.refresh()
    retriever, snapshot = loaded.retriever, loaded.snapshot
    rows = []
    for set_name, cases in questions().items():
        for case in cases:
            answer = advisor.ask(case.question, case.lang)
            ranking = retriever.search(collapse_space(case.question), case.lang, 8)
            place = next((k for k, h in enumerate(ranking.hits, 1) if _holds(h.passage.text, case)), None)
            top = ranking.hits[0].passage.document if ranking.hits else ""
            gap = retriever.known_gap(ranking) is not None
            right = bool(answer.quotes) and _holds(answer.quotes[0].text, case)
            official = bool(top) and snapshot.documents[top].authority == OFFICIAL
            rows.append({"set": set_name, "id": case.id, "lang": case.lang, "kind": case.kind,
                         "confidence": round(ranking.confidence, 3), "gap": gap, "place": place,
                         "answered": answer.answered,
                         "cause": cause(answer.answered, right, place, gap, official) if case.kind == "answer" else ""})
    causes = Counter(r["cause"] for r in rows if r["cause"])
    sweep = {}
    for level in SWEEP:
        sweep[str(level)] = {lang: {
            "right": sum(r["kind"] == "answer" and r["place"] == 1 and r["confidence"] >= level and not r["gap"]
                         for r in rows if r["lang"] == lang),
            "declined": sum(r["kind"] == "abstain" and (r["confidence"] < level or r["gap"])
                            for r in rows if r["lang"] == lang)} for lang in LANGUAGES}
    answerable = [r for r in rows if r["kind"] == "answer"]
    print(f"{len(rows)} questions, {len(answerable)} answerable, {sum(not r['cause'] for r in answerable)} right first")
    for name, count in causes.most_common():
        print(f"{count:4d}  {name}")
    print("threshold  " + "  ".join(f"{lang}: right · declined" for lang in LANGUAGES))
    for level, by_language in sweep.items():
        print(f"{level:>9}  " + "  ".join(f"{by_language[lang]['right']:>3} · {by_language[lang]['declined']:>2}"
                                          for lang in LANGUAGES))
    write_results("first_turns.json", {"causes": dict(causes), "sweep": sweep, "questions": rows})


if __name__ == "__main__":
    main()
