"""Fit the known-gap decision (Settings.gap_floor and gap_margin) on the TUNING question sets only.

Each tuning question is asked once, as `advisor eval` asks it (thread sets as conversations), with the gap decision
switched off; every ranking the answer weighed is recorded with its nearest known gap. A question is then declined
as a gap under (floor, margin) when every ranking it weighed is one (gaps.is_known_gap), which is how the answer
decides. The grid point kept declines the most uncovered questions, minus COST for each covered question answered
right that it would decline; ties go to the larger margin and floor (the more careful decision).

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
FLOORS = [round(0.60 + 0.01 * i, 2) for i in range(36)]
MARGINS = [round(-0.10 + 0.01 * i, 2) for i in range(26)]


@dataclass(frozen=True)
class Asked:
    set: str
    id: str
    kind: str  # "answer" | "abstain"
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
    results = run_threads(Recorder(), threads) if threads is not None else run(Recorder(), read_cases(path))
    for result, matches in zip(results, weighed):
        asked.append(Asked(path.stem, result.case.id, result.case.kind, result.passed, result.answered, matches))
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
    questions = [a for name in TUNING for a in ask_all(advisor, ROOT / name)]
    grid = {(f, m): score(questions, f, m) for f in FLOORS for m in MARGINS}
    best = max(grid, key=lambda key: (grid[key][2], key[1], key[0]))
    gained, lost, _ = grid[best]
    uncovered = sum(1 for a in questions if a.kind == "abstain")
    missed = sum(1 for a in questions if a.kind == "abstain" and not a.passed)
    print(f"{len(questions)} tuning questions, {uncovered} not covered ({missed} answered without the gaps).")
    rows = [[s, *score([a for a in questions if a.set == s], *best)[:2]] for s in dict.fromkeys(a.set for a in questions)]
    print_table(["set", "uncovered newly declined", "right answers lost"], rows)
    print(f"Fitted: gap_floor={best[0]}, gap_margin={best[1]} (declines {gained} more, loses {lost} right answers).")
    write_results("fit_gaps.json", {"floor": best[0], "margin": best[1], "gained": gained, "lost": lost,
                                    "cost": COST, "sets": list(TUNING), "by_set": {r[0]: r[1:] for r in rows}})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
