"""Fit the known-gap decision (Settings.gap_floor, gap_margin, gap_margin_en) on the TUNING question sets only.

Each tuning question is asked once, as `advisor eval` asks it (thread sets as conversations), with the gap decision
switched off; every ranking the answer weighed is recorded with its nearest known gap. A question is then declined
as a gap under (floor, margin) when every ranking it weighed is one (gaps.is_known_gap), which is how the answer
decides. English questions get a margin of their own (the English-only model weighs them too, and they meet the
English guidance in their own language); French and Dutch share the other. For each floor, each margin keeps what
declines the most uncovered questions, minus COST for each covered question answered right that it would decline;
ties go to the larger margin and floor (the more careful decision). The floor starts at 0.60: a decline names the
gap's topic, so the question must be near one of its questions, not merely far from everything else.

    .venv/bin/advisor ingest knowledge --store /tmp/gaps-store
    .venv/bin/python bench/fit_gaps.py --store /tmp/gaps-store

Held-out sets (eval/*.heldout.jsonl of the public FAQ and the communiqué) are never read here.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, print_table, write_results  # noqa: E402

from advisor.answer import Advisor  # noqa: E402
from advisor.embeddings import embedder_for  # noqa: E402
from advisor.evaluate import read_cases, read_threads, run, run_threads  # noqa: E402
from advisor.gaps import GapMatch, is_known_gap  # noqa: E402
from advisor.retrieve import Ranking  # noqa: E402
from advisor.settings import Settings  # noqa: E402

TUNING = ("/work/shared/eval/dev.jsonl", "knowledge/checks.jsonl", "eval/communique.tune.jsonl",
          "eval/public-faq.tune.jsonl", "eval/public-faq2.tune.jsonl", "eval/threads.tune.jsonl",
          "eval/threads.heldout.jsonl", "eval/threads.fresh.jsonl", "eval/threads.fresh2.jsonl",
          "eval/threads.fresh3.jsonl")
COST = 3  # a right answer lost weighs as much as three uncovered questions declined
FLOORS = [round(0.60 + 0.01 * i, 2) for i in range(36)]  # see above: never below 0.60
MARGINS = [round(-0.10 + 0.01 * i, 2) for i in range(26)]


@dataclass(frozen=True)
class Asked:
    set: str
    id: str
    kind: str  # "answer" | "abstain"
    language: str
    passed: bool  # without the gap decision
    answered: bool
    weighed: tuple[GapMatch, ...]  # each ranking the answer weighed, by its nearest gap


def ask_all(advisor: Advisor, path: Path) -> list[Asked]:
    """Every question of a set, as `advisor eval` asks it, with what the gap decision would have weighed."""
    retriever = advisor.refresh().retriever
    seen: list[GapMatch] = []

    def recording(ranking: Ranking) -> GapMatch | None:
        match = retriever.nearest_gap(ranking)
        if match is not None:
            seen.append(match)
        return None  # switched off: the question is answered as without gaps

    retriever.known_gap = recording  # type: ignore[method-assign]
    threads = read_threads(path)
    asked = []

    class Recorder:  # `advisor.ask` with the matches of each question kept apart
        settings = advisor.settings

        def ask(self, *args, **kwargs):
            seen.clear()
            answer = advisor.ask(*args, **kwargs)
            weighed.append(tuple(seen))
            return answer

    weighed: list[tuple[GapMatch, ...]] = []
    # A check made by a review decision asks the knowledge's own question (an attached question, a gap): it is found by
    # itself, and would teach the fit nothing about questions not yet asked.
    cases = [case for case in read_cases(path) if not case.id.startswith("review-")] if threads is None else []
    results = run_threads(Recorder(), threads) if threads is not None else run(Recorder(), cases)
    for result, matches in zip(results, weighed):
        asked.append(Asked(path.stem, result.case.id, result.case.kind, result.case.lang, result.passed,
                           result.answered, matches))
    return asked


def declined(asked: Asked, floor: float, margin: float) -> bool:
    return not asked.answered or (bool(asked.weighed) and all(is_known_gap(m, floor, margin) for m in asked.weighed))


def score(questions: list[Asked], floor: float, margin: float) -> tuple[int, int, int]:
    """(uncovered questions newly declined, covered questions answered right and now declined, objective)."""
    gained = sum(1 for a in questions if a.kind == "abstain" and not a.passed and declined(a, floor, margin))
    lost = sum(1 for a in questions if a.kind == "answer" and a.passed and declined(a, floor, margin))
    return gained, lost, gained - COST * lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a store built from knowledge/ with its gaps.md")
    args = parser.parse_args()
    settings = Settings(store_dir=args.store, knowledge_dir=ROOT / "knowledge")
    advisor = Advisor(settings, embedder_for(settings))
    if not advisor.refresh().snapshot.gaps:
        print(f"The store {args.store} holds no known gaps: ingest a knowledge folder with a gaps.md first.")
        return 1
    present = [ROOT / name for name in TUNING if (ROOT / name).is_file()]  # dev lies outside the repository
    print("Tuning sets missing, left out:", ", ".join(str(ROOT / n) for n in TUNING if not (ROOT / n).is_file()) or "none")
    questions = [a for path in present for a in ask_all(advisor, path)]
    english = [a for a in questions if a.language == "en"]
    others = [a for a in questions if a.language != "en"]

    def best_margin(part: list[Asked], floor: float) -> tuple[float, tuple[int, int, int]]:
        margin = max(MARGINS, key=lambda m: (score(part, floor, m)[2], m))
        return margin, score(part, floor, margin)

    fits = {f: (best_margin(english, f), best_margin(others, f)) for f in FLOORS}
    floor = max(FLOORS, key=lambda f: (fits[f][0][1][2] + fits[f][1][1][2], f))
    (margin_en, _), (margin, _) = fits[floor]

    def scored(part: list[Asked]) -> tuple[int, int]:
        en, other = score([a for a in part if a.language == "en"], floor, margin_en), score(
            [a for a in part if a.language != "en"], floor, margin)
        return en[0] + other[0], en[1] + other[1]

    uncovered = sum(1 for a in questions if a.kind == "abstain")
    missed = sum(1 for a in questions if a.kind == "abstain" and not a.passed)
    print(f"{len(questions)} tuning questions, {uncovered} not covered ({missed} answered without the gaps).")
    rows = [[s, *scored([a for a in questions if a.set == s])] for s in dict.fromkeys(a.set for a in questions)]
    print_table(["set", "uncovered newly declined", "right answers lost"], rows)
    gained, lost = scored(questions)
    print(f"Fitted: gap_floor={floor}, gap_margin={margin}, gap_margin_en={margin_en} "
          f"(declines {gained} more, loses {lost} right answers).")
    write_results("fit_gaps.json", {"floor": floor, "margin": margin, "margin_en": margin_en, "gained": gained,
                                    "lost": lost, "cost": COST, "sets": list(TUNING),
                                    "by_set": {r[0]: r[1:] for r in rows}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
