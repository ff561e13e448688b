"""Quotes are the source's words: each loader is fed a document built to tempt it, and its passages (and the
quotes answers take from them) are compared with the source read here, independently of the loaders."""
from __future__ import annotations

import json
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from advisor.answer import Advisor
from advisor.documents import Block, Document, DocumentMeta
from advisor.errors import DocumentError
from ingest.build import ingest
from ingest.chunk import chunk
from ingest.load import load
from ingest.verbatim import unfound

from .conftest import KNOWLEDGE, make_settings
from .fakes import HashEmbedder


def flat(text: str) -> str:
    return " ".join(text.split())


def blocks_of(path: Path) -> list[str]:
    document = load(path, path.name)
    assert isinstance(document, Document)
    return [b.text for b in document.blocks]


def passages_of(path: Path) -> list[str]:
    document = load(path, path.name)
    assert isinstance(document, Document)
    return [p.text for p in chunk(document)[0]]


# Independent readings of each format ------------------------------------------------------------------

def markdown_source_words(raw: str) -> str:
    """The Markdown source with its markup syntax taken out by simple rules of its own, white space normalised."""
    text = re.sub(r"\A---\n.*?\n---\n", "", raw, flags=re.DOTALL)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.DOTALL).replace("\\\n", "\n")  # a backslash hard break
    lines = []
    for line in text.split("\n"):
        if re.fullmatch(r"\s*\|?[\s:|-]*-[\s:|-]*", line):  # a table's separator row
            continue
        line = re.sub(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s?)", "", line)
        lines.append(line.strip().strip("|").replace("|", " "))
    text = "\n".join(lines)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links (and images) keep their words
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)  # autolinks
    text = re.sub(r"</?[a-z]+>", "", text)  # inline HTML tags
    text = re.sub(r"`([^`]*)`", lambda m: m.group(1).replace("_", "\0").replace("*", "\1"), text)  # code stays as is
    text = re.sub(r"\*\*|(?<!\\)\*", "", text)
    text = re.sub(r"(?<![\w\\])_(?=\S)|(?<=\S)_(?![\w])", "", text)  # emphasis underscores, never inside words
    text = text.replace("\\*", "*").replace("\0", "_").replace("\1", "*")
    return flat(text)


class _PageWords(HTMLParser):
    """What a browser shows of an HTML page: block elements and <br> apart, inline markup run together."""

    BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "td", "th", "tr", "table", "main", "br"}
    HIDDEN = {"script", "style", "nav", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in self.HIDDEN
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        self.hidden -= tag in self.HIDDEN
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def html_source_words(raw: str) -> str:
    reader = _PageWords()
    reader.feed(raw)
    return flat("".join(reader.parts))


def docx_source_words(path: Path) -> str:
    """The text runs of word/document.xml in order, a paragraph a line (breaks and tabs are white space)."""
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(path) as archive:
        root = ElementTree.fromstring(archive.read("word/document.xml"))
    lines = ["".join(e.text or "" if e.tag == f"{w}t" else " " for e in p.iter() if e.tag in (f"{w}t", f"{w}tab", f"{w}br"))
             for p in root.iter(f"{w}p")]
    return flat("\n".join(lines))


# Documents built to tempt each loader ---------------------------------------------------------------

TEMPTING_MARKDOWN = """---
title: Tempting Markdown
---
# Rules for *visiting* researchers

Call `__init__` before `load_data()`; the **host** decides, _not_ the visitor.
Names like data_set and `snake_case` inside words stay whole.

- First item with a [link to the office](https://example.org/office).
- Second item: see <https://example.org/rules> first.

1. Numbered *step* one, with a `*` star.
2. Numbered step two with <b>bold</b> HTML.

> A quoted line from the **rectors**.

| Region | Authority |
|---|---|
| Flanders | Dienst Controle Strategische Goederen |

A line with a hard break\\
after it, and an escaped \\*star\\*.
"""

TEMPTING_HTML = """<html><head><title>Tempting page</title><style>p { color: red }</style></head><body>
<nav><a href="/">Home</a></nav>
<main>
<h1>Visiting <em>researchers</em></h1>
<p>This rule is <b>important</b>. Ask the <a href="/x">research office</a>, <i>before</i> travelling.<br>Then register
with the multi<span>lateral</span> desk &amp; wait.</p>
<div>Loose text in a division, <strong>kept</strong> whole.<p>A paragraph inside it.</p>And text after it.</div>
<ul><li>Call <code>__init__</code> first.</li><li><p>First point.</p><p>Second point.</p></li></ul>
<table><tr><td>Flanders</td><td>Dienst Controle <b>Strategische</b> Goederen</td></tr></table>
<p>A comment<!-- hidden --> never shows.</p>
</main></body></html>"""

PDF_PARAGRAPHS = [
    ["Exports of dual-", "use items to Russia need a licence, and inter-",
     "national partners are checked against the international sanctions lists."],
    ["Scientific co-", "operation with individual researchers may con-", "tinue where the rectors allow it."],
    ["Researchers continue to decide for themselves."],
]


def tempting_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for paragraph in PDF_PARAGRAPHS:
        for line in paragraph:
            pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(8)
    pdf.output(str(path))
    return path


def tempting_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("Scope", level=1)
    p = d.add_paragraph("This rule is ")
    p.add_run("important").bold = True
    p.add_run(". Ask the office first.")
    d.add_paragraph("A bulleted item keeps its words.", style="List Bullet")
    d.add_paragraph("A numbered item keeps its words too.", style="List Number")
    table = d.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Region", "Authority"
    table.cell(1, 0).text, table.cell(1, 1).text = "Flanders", "Dienst Controle Strategische Goederen"
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "Wallonia and Brussels: ask your export-control contact."
    inner = table.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "Nested", "cell words"
    after = d.add_paragraph("A paragraph after the table")
    after.add_run().add_break()
    after.add_run("and after its line break.")
    d.save(str(path))
    return path


# The loaders ----------------------------------------------------------------------------------------

def test_markdown_keeps_code_spans_emphasis_lists_links_and_tables_as_words(tmp_path):
    path = tmp_path / "tempting.md"
    path.write_text(TEMPTING_MARKDOWN)
    passages = passages_of(path)
    source = markdown_source_words(TEMPTING_MARKDOWN)
    assert all(flat(p) in source for p in passages), (passages, source)
    assert "Call __init__ before load_data(); the host decides, not the visitor. Names like data_set and snake_case inside " \
           "words stay whole." in passages
    assert "First item with a link to the office." in passages
    assert "Second item: see https://example.org/rules first." in passages
    assert "Numbered step one, with a * star." in passages and "Numbered step two with bold HTML." in passages
    assert "Flanders Dienst Controle Strategische Goederen" in blocks_of(path)  # a short row: the chunker's label
    assert "A line with a hard break after it, and an escaped *star*." in passages


def test_html_joins_inline_markup_as_the_page_shows_it_and_keeps_blocks_apart(tmp_path):
    path = tmp_path / "tempting.html"
    path.write_text(TEMPTING_HTML)
    passages = passages_of(path)
    source = html_source_words(TEMPTING_HTML)
    assert all(flat(p) in source for p in passages), (passages, source)
    assert ("This rule is important. Ask the research office, before travelling. Then register with the multilateral "
            "desk & wait.") in passages
    assert "Loose text in a division, kept whole." in passages and "And text after it." in passages
    assert "First point. Second point." in passages and "A comment never shows." in passages
    assert not any(re.search(r"\w \.|\w ,", p) for p in passages)  # no "important ." anywhere


def test_pdf_keeps_real_hyphens_and_joins_a_line_end_hyphen_only_for_an_attested_word(tmp_path):
    passages = passages_of(tempting_pdf(tmp_path / "tempting.pdf"))
    source = "\n".join(line for paragraph in PDF_PARAGRAPHS for line in paragraph)

    def letters(text: str) -> str:  # the same letters in the same order, whatever became of spaces and hyphens
        return re.sub(r"[\s-]", "", text)

    assert all(letters(p) in letters(source) for p in passages), passages
    text = " ".join(passages)
    assert "dual-use items" in text and "dualuse" not in text  # "dualuse" is no word of the document
    assert "international partners" in text  # the document writes "international" whole
    assert "Scientific co-operation" in text  # "cooperation" is not attested: the hyphen stays
    assert "may continue where" in text  # "continue" is attested
    assert not re.search(r"\w- \w", text)  # no word cut by a line break


def test_docx_keeps_lists_tables_merged_and_nested_cells_in_the_bodys_order(tmp_path):
    path = tempting_docx(tmp_path / "tempting.docx")
    passages = passages_of(path)
    source = docx_source_words(path)
    assert all(flat(p) in source for p in passages), (passages, source)
    assert "This rule is important. Ask the office first." in passages
    assert "A bulleted item keeps its words." in passages and "A numbered item keeps its words too." in passages
    assert {"Region Authority", "Nested cell words", "Flanders Dienst Controle Strategische Goederen"} <= set(blocks_of(path))
    assert "Wallonia and Brussels: ask your export-control contact." in passages
    assert passages[-1] == "A paragraph after the table and after its line break."


def test_every_loaders_passages_are_found_in_the_text_it_extracted(tmp_path):
    (tmp_path / "a.md").write_text(TEMPTING_MARKDOWN)
    (tmp_path / "a.html").write_text(TEMPTING_HTML)
    for path in (tmp_path / "a.md", tmp_path / "a.html", tempting_pdf(tmp_path / "a.pdf"), tempting_docx(tmp_path / "a.docx")):
        document = load(path, path.name)
        assert isinstance(document, Document) and document.text
        assert unfound(document, chunk(document)[0]) == [], path.name


# The check at ingestion -----------------------------------------------------------------------------

def test_a_passage_its_document_does_not_hold_is_named_with_where_it_departs():
    meta = DocumentMeta(path="rules.html", title="Rules")
    document = Document(meta, (), text="This rule is\n<b>important</b>.")
    passages = chunk(Document(meta, (Block("This rule is important ."),)))[0]
    [(passage, why)] = unfound(document, passages)
    assert passage.text == "This rule is important ."
    assert "'This rule is important .'" in why and "after 'This rule is'" in why


DOC = "---\ntitle: {title}\n---\n## Topic\n\n{body}\n"


def test_ingestion_leaves_out_and_reports_a_passage_not_in_its_source(tmp_path, monkeypatch):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "a.md").write_text(DOC.format(title="A", body="Researchers decide whether to keep individual collaborations."))
    (kb / "b.md").write_text(DOC.format(title="B", body="Export of dual-use items needs a licence.\n\nAsk the office."))

    def rewriting_load(path, name, limits):  # a loader that drops a hyphen, as the PDF loader once did
        document = load(path, name, limits)
        if name != "b.md":
            return document
        blocks = tuple(Block(b.text.replace("dual-use", "dualuse"), b.heading_level) for b in document.blocks)
        return Document(document.meta, blocks, document.text)

    monkeypatch.setattr("ingest.build.load", rewriting_load)
    report = ingest(make_settings(tmp_path, knowledge_dir=kb), None, HashEmbedder())
    assert report.published and report.passages == 2  # the rest is published
    [(name, why)] = report.unfound
    assert name == "b.md" and "'Export of dualuse items needs a licence.'" in why and "after 'Export of'" in why
    assert "Not found in their document's text, so left out: 1 passages" in report.summary()
    assert "b.md: the passage beginning 'Export of dualuse" in report.summary()


def test_documents_without_words_are_named_and_the_rest_published(tmp_path):
    from fpdf import FPDF

    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "a.md").write_text(DOC.format(title="A", body="Researchers decide whether to keep individual collaborations."))
    (kb / "dashes.html").write_text("<main><p>— · —</p><script>var words = 1;</script></main>")
    (kb / "only-front-matter.md").write_text("---\ntitle: Nothing here\n---\n<!-- a comment -->\n")
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50)
    pdf.output(str(kb / "drawing.pdf"))
    report = ingest(make_settings(tmp_path, knowledge_dir=kb), None, HashEmbedder())
    assert report.published and report.documents == 1
    failed = dict(report.failed)
    assert set(failed) == {"dashes.html", "only-front-matter.md", "drawing.pdf"}
    assert all("no extractable words" in why for why in failed.values()), failed
    for name in failed:
        with pytest.raises(DocumentError, match="no extractable words") as caught:
            load(kb / name, name)
        assert caught.value.path == name


# Quotes of answers ----------------------------------------------------------------------------------

def _shipped_source_words(document: str) -> str:
    path = KNOWLEDGE / document
    assert path.suffix == ".md", f"{document}: read it independently here before shipping another format"
    return markdown_source_words(path.read_text(encoding="utf-8"))


def test_every_passage_of_the_shipped_knowledge_is_in_its_source():
    documents = [d for d in (load(p, p.relative_to(KNOWLEDGE).as_posix()) for p in sorted(KNOWLEDGE.rglob("*.md"))
                             if p.name.lower() != "readme.md") if isinstance(d, Document)]
    assert len(documents) >= 10
    for document in documents:
        passages = chunk(document)[0]
        assert unfound(document, passages) == [], document.meta.path
        source = _shipped_source_words(document.meta.path)
        assert all(flat(p.text) in source for p in passages), document.meta.path


@pytest.mark.long
def test_every_quote_of_the_checks_is_in_its_documents_source(advisor):
    cases = [json.loads(line) for line in (KNOWLEDGE / "checks.jsonl").read_text().splitlines() if line.strip()]
    sources: dict[str, str] = {}
    checked = 0
    for case in cases:
        for quote in advisor.ask(case["question"], case["lang"]).quotes:
            source = sources.setdefault(quote.document, _shipped_source_words(quote.document))
            assert flat(quote.text) in source, (case["id"], quote.document, quote.text)
            checked += 1
    assert checked >= len([c for c in cases if c.get("kind", "answer") == "answer"])


def test_quotes_from_tempting_documents_are_the_sources_words(tmp_path, embedder):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "rules.md").write_text(TEMPTING_MARKDOWN)
    (kb / "page.html").write_text(TEMPTING_HTML)
    tempting_pdf(kb / "exports.pdf")
    tempting_docx(kb / "memo.docx")
    settings = make_settings(tmp_path, knowledge_dir=kb)
    report = ingest(settings, None, embedder)
    assert report.published and not report.unfound and not report.failed, report.summary()
    sources = {"rules.md": markdown_source_words(TEMPTING_MARKDOWN), "page.html": html_source_words(TEMPTING_HTML),
               "memo.docx": docx_source_words(kb / "memo.docx")}
    pdf_letters = re.sub(r"[\s-]", "", "".join(line for paragraph in PDF_PARAGRAPHS for line in paragraph))
    advisor = Advisor(settings, embedder)
    quoted = set()
    for question in ("Do exports of dual-use items to Russia need a licence?", "Which authority is competent in Flanders?",
                     "Should I ask the research office before travelling?", "Who decides, the host or the visitor?",
                     "May scientific cooperation with individual researchers continue?"):
        for quote in advisor.ask(question, "en").quotes:
            quoted.add(quote.document)
            if quote.document == "exports.pdf":
                assert re.sub(r"[\s-]", "", quote.text) in pdf_letters and "dualuse" not in quote.text
            else:
                assert flat(quote.text) in sources[quote.document], (question, quote.text)
    assert len(quoted) >= 3, quoted
