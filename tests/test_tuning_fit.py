"""The fitting that bench/fitting.py does (bench/fitting.py), and the bounds bench/ceiling_bench.py reports."""
from __future__ import annotations

import numpy as np
import pytest

from advisor.decision import EVIDENCE
from advisor.evaluate import Case, read_cases
from advisor.retrieve import FEATURES, Retriever
from advisor.store import KnowledgeStore
from bench import ceiling_bench, fitting

from .conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def fitted(built_store, embedder):
    retriever = Retriever(KnowledgeStore(built_store).load(), embedder)
    rows = fitting.collect(retriever, read_cases(KNOWLEDGE / "checks.jsonl"))
    return retriever, rows


@pytest.mark.long
def test_the_ranking_fit_ranks_most_checks_right(fitted):
    _, rows = fitted
    weights = fitting.fit_rank([rows])
    w = np.array([weights[name] for name in FEATURES])
    answerable = [r for r in rows if r["case"].kind == "answer" and r["gold"].any()]
    right = sum(bool(r["gold"][np.argmax(r["table"] @ w)]) for r in answerable)
    assert right >= 0.8 * len(answerable)


@pytest.mark.long
def test_the_decision_fit_separates_covered_from_uncovered_checks(fitted):
    retriever, rows = fitted
    evidence = fitting.evidence_rows(retriever, rows)
    weights, intercept, threshold, confident, _ = fitting.fit_evidence([evidence])
    z = np.array([intercept + sum(weights[n] * e[n] for n in EVIDENCE) for e, _, _ in evidence])
    covered = np.array([c for _, c, _ in evidence], dtype=bool)
    # more than nine pairs in ten: a covered check is more confident than an uncovered one
    assert (z[covered][:, None] > z[~covered][None, :]).mean() > 0.9


def _question(gold: list[float], *others: list[float]) -> dict:
    return {"case": Case("q", "en", "?", ("x",), "answer"), "table": np.array([gold, *others]),
            "gold": np.array([True] + [False] * len(others))}


def test_the_ranking_bounds_on_questions_with_known_answers():
    rows = [
        _question([0.2, 0.2], [0.5, 0.5]),  # outscored on both signals: no weighting helps
        _question([0.6, 0.6], [1.0, 0.0], [0.0, 1.0]),  # first only with both signals weighed alike
        _question([0.5, 0.5], [0.5, 0.5]),  # a tie is not first
        _question([1.0, 0.0], [0.0, 2.0]),  # first when the first signal weighs more than 2/3 ...
        _question([0.0, 1.0], [2.0, 0.0]),  # ... and this one when it weighs less than 1/3: never both
    ]
    figures = ceiling_bench.ranking_figures(rows, np.array([1.0, 0.0]))
    assert (figures["engine"], figures["oracle_weighting"], figures["per_question"]) == (1, 1, 3)
    assert figures["oracle_exact"]


def test_the_decision_threshold_declines_exactly_eighty_percent_of_the_uncovered():
    uncovered = np.arange(10) / 10  # 0.0 … 0.9: the threshold at 0.7 declines 8 of the 10
    answered = np.array([0.65, 0.75, 0.95])
    confidence = np.r_[uncovered, answered]
    covered = np.r_[np.zeros(10), np.ones(3)]
    right = covered == 1
    assert ceiling_bench.quoted_at_target(confidence, covered, right) == 2


@pytest.mark.long
def test_the_cross_validated_fit_learns_nothing_from_the_set_it_judges(fitted):
    _, rows = fitted
    marked = [{**r, "late": r["gold"].astype(float)} for r in rows]  # a seventh column that marks the answers
    unmarked = [{**r, "late": np.zeros(len(r["gold"]))} for r in rows]
    # marked in both halves: each half's fit, learnt on the other, finds every answer by the mark
    both = ceiling_bench.late_interaction_figures({("shipped", "a"): marked[::2], ("shipped", "b"): marked[1::2]})
    assert all(right == total for right, total in both["six + late interaction"].values())
    # marked in half a only: judged by a fit learnt on half b alone, half a gains nothing from its mark
    one = ceiling_bench.late_interaction_figures({("shipped", "a"): marked[::2], ("shipped", "b"): unmarked[1::2]})
    assert one["six + late interaction"]["a"] == one["six signals"]["a"]
    assert one["six signals"]["a"][0] < one["six signals"]["a"][1]


def test_the_fit_leaves_out_the_checks_review_decisions_made():
    sets = fitting.question_sets()
    part, checks = sets["checks"]
    every = read_cases(KNOWLEDGE / "checks.jsonl")
    made_by_review = [c for c in every if c.id.startswith("review-")]
    assert made_by_review, "the shipped checks hold review decisions' checks: nothing to leave out otherwise"
    assert part == "tune"
    assert [c.id for c in checks] == [c.id for c in every if not c.id.startswith("review-")]
    assert fitting.without_review([Case("review-en-1", "en", "q?", ("a",), "answer"),
                                   Case("c001", "en", "q?", ("a",), "answer")])[0].id == "c001"
