"""Adding an unrelated document changes no other passage's score, so no check flips because of it (issue 12)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from advisor.evaluate import read_cases
from advisor.retrieve import Retriever
from advisor.store import KnowledgeStore
from advisor.text import word_weight
from ingest.build import ingest

from .conftest import KNOWLEDGE, make_settings

UNRELATED = """---
title: "Booking the faculty's meeting rooms"
issuer: Faculty secretariat
date: 2024-05-02
language: en
authority: summary
---
## Rooms

Meeting rooms on the second floor are booked through the room calendar at least two working days ahead.
A booking that is not used within fifteen minutes of its start is released for others.

## Catering

Coffee and sandwiches for a meeting are ordered from the catering desk; research projects pay from their own budget.
"""


def scores(retriever: Retriever, cases) -> dict[tuple[str, str], float]:
    """(question id, passage id) -> the ranking score, for every passage of every question."""
    vectors = retriever.embedder.embed([c.question for c in cases], query=True)
    out = {}
    for case, vector in zip(cases, vectors):
        table = retriever.features(case.question, case.lang, vector).table
        for passage, score in zip(retriever.passages, table @ retriever.rank_weights):
            out[(case.id, passage.id)] = float(score)
    return out


@pytest.mark.long
def test_an_unrelated_document_changes_no_score_of_the_other_passages(built_store, embedder, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    store = tmp_path / "store"
    shutil.copytree(built_store, store)
    cases = read_cases(KNOWLEDGE / "checks.jsonl")
    before = Retriever(KnowledgeStore(store).load(), embedder)
    old = scores(before, cases)

    (knowledge / "guidance" / "meeting-rooms.md").write_text(UNRELATED, encoding="utf-8")
    report = ingest(make_settings(tmp_path, knowledge_dir=knowledge), None, embedder)
    assert report.published, report.summary()  # the gate found no check that changed
    after = Retriever(KnowledgeStore(store).load(), embedder)
    new = scores(after, cases)

    assert len(after.passages) > len(before.passages)
    shared = sorted(old)
    assert np.allclose([old[k] for k in shared], [new[k] for k in shared], atol=1e-5)
    for case in cases:  # and the new passages rank below the best old one for every check question
        added = [v for (q, p), v in new.items() if q == case.id and (q, p) not in old]
        assert max(added) < max(v for (q, _), v in old.items() if q == case.id), case.id


def test_word_weights_come_from_general_use_not_from_the_knowledge():
    assert word_weight("the", "en") == 1.0
    assert word_weight("de", "fr") == 1.0 and word_weight("het", "nl") == 1.0
    assert word_weight("rectors", "en") > word_weight("research", "en") > word_weight("the", "en")
    assert word_weight("recteurs", "fr") > word_weight("recherche", "fr")
    assert word_weight("zzyzxq", "nl") == max(word_weight(w, "nl") for w in ("zzyzxq", "samenwerking", "de"))
