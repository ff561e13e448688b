"""Large versions: only the passages of the units Chroma's own index finds nearest (and the best lexical matches)
are scored, and they rank as scoring every unit does (issue 14)."""
from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from advisor.errors import StoreError
from advisor.evaluate import read_cases
from advisor.retrieve import LEXICAL_CANDIDATES, Retriever
from advisor.store import KnowledgeStore
from advisor.store.chroma import COLLECTION, client, read_rows

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
        self.probes: list[np.ndarray] = []
        self.found: list[list[str]] = []

    def __call__(self, vector: np.ndarray, k: int) -> list[str]:
        self.asked.append(k)
        self.probes.append(vector)
        self.found.append(self.inner(vector, k))
        return self.found[-1]


def rankings(retriever: Retriever, cases, limit: int = 5):
    vectors = retriever.embedder.embed([c.question for c in cases], query=True)
    return [retriever.rank(c.question, c.lang, v, limit) for c, v in zip(cases, vectors)]


@pytest.mark.long
def test_with_every_unit_a_candidate_the_ranking_is_the_exact_one(snapshot, embedder, cases, caplog):
    index = Recorder(snapshot.nearest)
    exact = rankings(Retriever(snapshot, embedder), cases)
    whole = rankings(Retriever(dataclasses.replace(snapshot, nearest=index), embedder, exact_search_units=0,
                               candidate_units=len(snapshot.units)), cases)
    assert [len(ids) for ids in index.found] == [len(snapshot.units)] * len(cases)  # the index answered every time
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    for a, b in zip(exact, whole):
        assert [h.passage.id for h in a.hits] == [h.passage.id for h in b.hits]
        assert [h.score for h in a.hits] == pytest.approx([h.score for h in b.hits], abs=1e-5)
        assert [h.sentence for h in a.hits] == [h.sentence for h in b.hits]
        assert a.confidence == pytest.approx(b.confidence, abs=1e-6)


@pytest.mark.long
def test_above_the_crossover_chromas_index_is_asked_and_the_first_passage_is_the_exact_one(snapshot, embedder, cases):
    index = Recorder(snapshot.nearest)
    small = dataclasses.replace(snapshot, nearest=index)
    retriever = Retriever(small, embedder, exact_search_units=100, candidate_units=50)
    found = rankings(retriever, cases)
    exact = rankings(Retriever(snapshot, embedder), cases)

    assert index.asked == [50] * len(cases)
    assert len(index.found) == len(cases)
    assert all(len(ids) == 50 and set(ids) <= set(retriever.unit_index) for ids in index.found)
    for case, ranking, ids in zip(cases, found, index.found):  # only candidates: nearest units' passages, lexical best
        lexical, _ = retriever.lexical.coverage(retriever.query(case.question, case.lang))
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


def test_french_and_dutch_questions_ask_the_index_by_the_multilingual_model_alone(snapshot, embedder, cases):
    index = Recorder(snapshot.nearest)
    retriever = Retriever(dataclasses.replace(snapshot, nearest=index), embedder, exact_search_units=0)
    chosen = [next(c for c in cases if c.lang == lang) for lang in ("en", "fr", "nl")]
    vectors = embedder.embed([c.question for c in chosen], query=True)
    for case, vector in zip(chosen, vectors):
        retriever.rank(case.question, case.lang, vector, 5)
    multilingual, english = embedder.dims  # e5's part of a vector, then MiniLM's
    english_probe, french_probe, dutch_probe = index.probes
    assert np.array_equal(english_probe, vectors[0])
    for probe, vector in ((french_probe, vectors[1]), (dutch_probe, vectors[2])):
        assert np.array_equal(probe[:multilingual], vector[:multilingual])
        assert not probe[multilingual:].any() and len(probe) == multilingual + english


def test_an_index_out_of_reach_leaves_the_version_in_memory_answering(snapshot, embedder, cases, caplog):
    calls = []

    def unreachable(vector, k):
        calls.append(k)
        raise StoreError("The nearest-neighbour index of knowledge version v0001 did not answer: the server went away")

    broken = Retriever(dataclasses.replace(snapshot, nearest=unreachable), embedder, exact_search_units=0)
    exact = rankings(Retriever(snapshot, embedder), cases[:4])
    assert [[h.passage.id for h in r.hits] for r in rankings(broken, cases[:4])] == \
           [[h.passage.id for h in r.hits] for r in exact]
    assert "the server went away" in caplog.text
    assert len(calls) == 1  # not asked again for a while: each question would wait for it otherwise


def test_a_version_read_a_page_at_a_time_is_the_version_read_whole(built_store):
    version = KnowledgeStore(built_store).current_id()
    chroma = client(built_store / "versions" / version / "chroma")
    try:
        collection = chroma.get_collection(COLLECTION, embedding_function=None)
        paged = read_rows(collection, page=100)
        whole = collection.get(include=["documents", "metadatas", "embeddings"])
    finally:
        chroma.close()
    assert len(whole["ids"]) > 100 and paged["ids"] == whole["ids"]
    assert paged["documents"] == whole["documents"] and paged["metadatas"] == whole["metadatas"]
    assert np.array_equal(paged["embeddings"], np.asarray(whole["embeddings"], dtype=np.float32))


def test_version_ids_are_never_given_twice(tmp_path):
    store = KnowledgeStore(tmp_path / "store")
    first = store.next_version_id()
    (store.versions_dir / first).mkdir(parents=True)  # built, then discarded
    store.discard(first)
    assert store.next_version_id() != first
