"""Passages are the document's own paragraphs, with stable ids; page furniture is not a passage."""
from __future__ import annotations

from pathlib import Path

from advisor.documents import Block, Document, DocumentMeta
from advisor.text import sentence_spans
from ingest.chunk import MAX_PASSAGE_CHARS, chunk
from ingest.load import load

SEED = Path(__file__).resolve().parent / "data" / "communique-web-capture.txt"  # the communiqué as copied from its web page
KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


def doc(*blocks: Block, path: str = "d.md") -> Document:
    return Document(DocumentMeta(path=path, title="T"), tuple(blocks))


def test_communique_passages_leave_out_web_page_leftovers():
    passages, skipped = chunk(load(KNOWLEDGE / "2022-03-10-cref-vlir-communique.md", "c.md"))
    texts = [p.text for p in passages]
    for leftover in ("In Institution Press releases", "imgActu", "Share this news", "Elisabeth Kokkelkoren",
                     "Contact the CRef", "Suspension of Relations with Russian Universities"):
        assert leftover not in texts
    assert "Annemie Schaus, President of the Cref" in texts
    assert any(t.startswith("On Thursday 10th March") for t in texts)
    assert skipped >= 3
    assert all(p.heading for p in passages)


def test_raw_seed_text_gives_the_same_paragraphs(tmp_path):
    copy = tmp_path / "seed.txt"
    copy.write_bytes(SEED.read_bytes())
    texts = [p.text for p in chunk(load(copy, "seed.txt"))[0]]
    assert "Share this news" not in texts and "imgActu" not in texts
    assert any("individual cooperative relationships" in t for t in texts)


def test_ids_are_stable_and_depend_on_document_and_content():
    a = chunk(doc(Block("Heading", 1), Block("First paragraph text here."), Block("Second one, also text.")))[0]
    b = chunk(doc(Block("Heading", 1), Block("First paragraph text here."), Block("Second one, also text.")))[0]
    other = chunk(doc(Block("First paragraph text here."), path="other.md"))[0]
    assert [p.id for p in a] == [p.id for p in b]
    assert a[0].id != other[0].id
    assert a[0].heading == "Heading"


def test_repeated_paragraph_gets_distinct_ids():
    passages = chunk(doc(Block("Same words in a sentence."), Block("Same words in a sentence.")))[0]
    assert len({p.id for p in passages}) == 2


def test_unmarked_heading_is_context_not_passage():
    passages = chunk(doc(Block("Export control"), Block("Sending controlled technology by e-mail counts as an export.")))[0]
    assert [p.text for p in passages] == ["Sending controlled technology by e-mail counts as an export."]
    assert passages[0].heading == "Export control"


def test_long_paragraph_is_split_at_sentences():
    sentence = "This sentence is part of a very long paragraph about research collaboration rules. "
    passages = chunk(doc(Block(sentence * 20)))[0]
    assert len(passages) > 1
    assert all(len(p.text) <= MAX_PASSAGE_CHARS for p in passages)
    assert all(p.text.endswith("rules.") for p in passages)


def test_sentence_spans_respect_abbreviations():
    text = "See Art. 5k of the regulation, e.g. for contracts. A second sentence follows! And a third?"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "See Art. 5k of the regulation, e.g. for contracts.", "A second sentence follows!", "And a third?"]
