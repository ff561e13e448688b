"""The fitting that bench/tune_retrieval.py does, and the bounds bench/ceiling_bench.py reports, on the shipped checks."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from advisor.evaluate import read_cases
from advisor.retrieve import EVIDENCE, FEATURES, Retriever
from advisor.store import KnowledgeStore

from .conftest import KNOWLEDGE, ROOT

sys.path.insert(0, str(ROOT / "bench"))

import ceiling_bench  # noqa: E402
import tune_retrieval  # noqa: E402


@pytest.fixture(scope="module")
def fitted(built_store, embedder):
    retriever = Retriever(KnowledgeStore(built_store).load(), embedder)
    rows = tune_retrieval.collect(retriever, read_cases(KNOWLEDGE / "checks.jsonl"))
    return retriever, rows


def test_the_ranking_fit_gives_non_negative_weights_that_rank_the_checks(fitted):
    retriever, rows = fitted
    weights = tune_retrieval.fit_rank([rows])
    assert set(weights) == set(FEATURES)
    assert min(weights.values()) >= 0 and sum(weights.values()) == pytest.approx(1, abs=1e-3)
    answerable = [r for r in rows if r["case"].kind == "answer" and r["gold"].any()]
    w = np.array([weights[name] for name in FEATURES])
    right = sum(bool(r["gold"][np.argmax(r["table"] @ w)]) for r in answerable)
    assert right >= 0.8 * len(answerable)


def test_the_decision_fit_reads_every_evidence_and_separates_covered_from_uncovered(fitted):
    retriever, rows = fitted
    evidence = tune_retrieval.evidence_rows(retriever, rows)
    assert {name for name in EVIDENCE} <= set(evidence[0][0])
    weights, intercept, threshold, confident, by_language = tune_retrieval.fit_evidence([evidence])
    assert set(weights) == set(EVIDENCE)
    assert 0.2 <= threshold <= confident < 1 and set(by_language) == {"en", "fr", "nl"}
    z = np.array([intercept + sum(weights[n] * e[n] for n in EVIDENCE) for e, _, _ in evidence])
    covered = np.array([c for _, c, _ in evidence], dtype=bool)
    # more than nine pairs in ten: a covered check is more confident than an uncovered one
    assert (z[covered][:, None] > z[~covered][None, :]).mean() > 0.9


def test_the_ceiling_bounds_are_ordered(fitted):
    retriever, rows = fitted
    figures = ceiling_bench.ranking_figures(rows, retriever.rank_weights.astype(float), np.random.default_rng(0))
    assert figures["engine"] <= figures["oracle_weighting"] <= figures["per_question"] <= figures["answerable"]
    decision = ceiling_bench.decision_figures(tune_retrieval.evidence_rows(retriever, rows), retriever)
    assert decision["engine_right_at_80pct_declined"] <= decision["right_first_passage"]
    assert decision["oracle_right_at_80pct_declined"] <= decision["right_first_passage"]


def test_a_seventh_signal_that_knows_the_answer_is_taken_up_by_the_cross_validated_fit(fitted):
    _, rows = fitted
    # the seventh column marks the answering passages: a ranking fitted with it must find them
    marked = [{**r, "table": np.c_[r["table"], r["gold"].astype(float)]} for r in rows]
    halves = {("shipped", "checks-a"): marked[::2], ("shipped", "checks-b"): marked[1::2]}
    figures = ceiling_bench.late_interaction_figures(halves)
    six = sum(right for right, _ in figures["six signals"].values())
    seven = sum(right for right, _ in figures["six + late interaction"].values())
    answerable = sum(total for _, total in figures["six signals"].values())
    assert six < answerable and seven == answerable
