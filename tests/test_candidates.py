"""Large versions: only the passages of the units Chroma's own index finds nearest (and the best lexical matches)
are scored, and they rank as scoring every unit does (issue 14)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from advisor.evaluate import read_cases
from advisor.retrieve import LEXICAL_CANDIDATES, Retriever
from advisor.store import KnowledgeStore

from .conftest import KNOWLEDGE


@pytest.fixture(scope="module")
def cases():
    return read_cases(KNOWLEDGE / "checks.jsonl")


@pytest.fixture(scope="module")
def snapshot(built_store):
    return KnowledgeStore(built_store).load()


class Recorder:
    """The store's index, with a record of what it was asked and answered."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.asked: list[int] = []
        self.found: list[list[str]] = []

    def __call__(self, vector: np.ndarray, k: int) -> list[str]:
        self.asked.append(k)
        self.found.append(self.inner(vector, k))
        return self.found[-1]


def rankings(retriever: Retriever, cases, limit: int = 5):
    vectors = retriever.embedder.embed([c.question for c in cases], query=True)
    return [retriever._rank(c.question, c.lang, v, limit) for c, v in zip(cases, vectors)]


def test_with_every_unit_a_candidate_the_ranking_is_the_exact_one(snapshot, embedder, cases):
    exact = rankings(Retriever(snapshot, embedder), cases)
    whole = rankings(Retriever(snapshot, embedder, exact_search_units=0, candidate_units=len(snapshot.units)), cases)
    for a, b in zip(exact, whole):
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=1e-5)
        assert [h.sentence for h in a.hits] == [h.sentence for h in b.hits]
        assert a.confidence == pytest.approx(b.confidence, abs=1e-6)


def test_above_the_crossover_chromas_index_is_asked_and_the_first_passage_is_the_exact_one(snapshot, embedder, cases):
    index = Recorder(snapshot.nearest)
    small = dataclasses.replace(snapshot, nearest=index)
    retriever = Retriever(small, embedder, exact_search_units=100, candidate_units=50)
    found = rankings(retriever, cases)
    exact = rankings(Retriever(snapshot, embedder), cases)

    assert index.asked == [50] * len(cases)
    assert all(len(ids) == 50 and set(ids) <= set(retriever.unit_index) for ids in index.found)
    for case, ranking, ids in zip(cases, found, index.found):  # only candidates: nearest units' passages, lexical best
        lexical, _ = retriever._coverage(retriever.query(case.question, case.lang))
        allowed = {retriever.passages[retriever.unit_passage[retriever.unit_index[i]]].id for i in ids}
        allowed |= {retriever.passages[i].id for i in np.argsort(-lexical, kind="stable")[:LEXICAL_CANDIDATES] if lexical[i] > 0}
        assert {h.passage.id for h in ranking.hits} <= allowed
        assert len(allowed) < len(retriever.passages)  # the test means something only if some passages were left out
    assert [r.hits[0].passage.id for r in found] == [r.hits[0].passage.id for r in exact]
    assert [r.confidence for r in found] == pytest.approx([r.confidence for r in exact], abs=0.02)


def test_a_version_below_the_crossover_never_asks_the_index(snapshot, embedder, cases):
    index = Recorder(snapshot.nearest)
    retriever = Retriever(dataclasses.replace(snapshot, nearest=index), embedder)  # the default crossover
    rankings(retriever, cases[:3])
    assert index.asked == []


def test_an_index_out_of_reach_leaves_the_version_in_memory_answering(snapshot, embedder, cases, caplog):
    def unreachable(vector, k):
        raise ConnectionError("the Chroma server went away")

    broken = Retriever(dataclasses.replace(snapshot, nearest=unreachable), embedder, exact_search_units=0)
    exact = rankings(Retriever(snapshot, embedder), cases[:4])
    assert [[h.passage.id for h in r.hits] for r in rankings(broken, cases[:4])] == \
           [[h.passage.id for h in r.hits] for r in exact]
    assert "the Chroma server went away" in caplog.text
