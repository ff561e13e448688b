"""Each loader reads its format; each kind of broken file is named with its reason."""
from __future__ import annotations

import zipfile

import pytest

from advisor.documents import Document, DocumentMeta, Translation
from advisor.errors import DocumentError
from ingest.load import load


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_markdown_front_matter_and_headings(tmp_path):
    path = write(tmp_path, "guide.md", """---
title: "A guide"
issuer: Somebody
date: 2022-03-10
url: https://example.org/guide
language: en
authority: official
sources: [https://example.org/a]
---
# Heading one

First paragraph with a [link](https://x.org) and **bold** words.
It goes on over two lines.

- A list item that stands alone.
""")
    doc = load(path, "guide.md")
    assert isinstance(doc, Document)
    assert doc.meta.title == "A guide" and doc.meta.date == "2022-03-10" and doc.meta.authority == "official"
    assert doc.meta.sources == ("https://example.org/a",)
    texts = [(b.text, b.heading_level) for b in doc.blocks]
    assert ("Heading one", 1) in texts
    assert ("First paragraph with a link and bold words. It goes on over two lines.", 0) in texts
    assert ("A list item that stands alone.", 0) in texts


def test_plain_text_first_short_line_is_title(tmp_path):
    doc = load(write(tmp_path, "note.txt", "Short title\n\nA paragraph of text.\nWrapped here.\n"), "note.txt")
    assert doc.meta.title == "Short title"
    assert doc.blocks[1].text == "A paragraph of text. Wrapped here."


def test_html_drops_navigation_and_scripts(tmp_path):
    html = """<html lang="fr"><head><title>Page</title><meta name="author" content="ULB"></head><body>
    <nav><a href="/">Home</a></nav><main><h1>Titre</h1><p>Un paragraphe <b>important</b>.</p>
    <script>alert(1)</script></main><footer>Share this news</footer></body></html>"""
    doc = load(write(tmp_path, "page.html", html), "page.html")
    assert doc.meta.language == "fr" and doc.meta.issuer == "ULB" and doc.meta.title == "Page"
    assert [b.text for b in doc.blocks] == ["Titre", "Un paragraphe important."]  # the words as the page shows them


def test_a_pdf_keeps_real_hyphens_and_joins_only_soft_ones(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for line in ("Exports of dual-", "use items to Russia need a licence, and inter-",
                 "national partners are checked against the international sanctions lists."):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "rules.pdf"
    pdf.output(str(path))
    text = " ".join(b.text for b in load(path, "rules.pdf").blocks)
    assert "dual-use items" in text  # a real hyphen: "dualuse" is no word of the document
    assert "international partners" in text  # a soft break: the document writes "international" whole


def test_html_inline_markup_and_line_breaks_keep_the_words(tmp_path):
    path = tmp_path / "p.html"
    path.write_text("<main><p>Ask the <a href='/x'>research office</a>, <em>before</em> travelling.<br>Then register.</p></main>")
    assert [b.text for b in load(path, "p.html").blocks] == ["Ask the research office, before travelling. Then register."]


def test_pdf_text_is_extracted(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Researchers decide whether to keep their individual collaborations.")
    pdf.ln(8)
    pdf.multi_cell(0, 6, "Institutional agreements are suspended.")
    path = tmp_path / "memo.pdf"
    pdf.output(str(path))
    doc = load(path, "memo.pdf")
    text = " ".join(b.text for b in doc.blocks)
    assert "individual collaborations" in text and "agreements are suspended" in text


def test_docx_headings_and_paragraphs(tmp_path):
    import docx

    d = docx.Document()
    d.core_properties.title = "Memo"
    d.add_heading("Scope", level=1)
    d.add_paragraph("Visiting scholars remain welcome.")
    path = tmp_path / "memo.docx"
    d.save(str(path))
    doc = load(path, "memo.docx")
    assert doc.meta.title == "Memo"
    assert [(b.text, b.heading_level) for b in doc.blocks] == [("Scope", 2), ("Visiting scholars remain welcome.", 0)]


def test_translation_file(tmp_path):
    path = write(tmp_path, "t.fr.md", """---
translation_of: guide.md
language: fr
---
<!-- original: First paragraph -->
Premier paragraphe.
""")
    t = load(path, "t.fr.md")
    assert isinstance(t, Translation)
    assert t.original == "guide.md" and t.blocks[0].anchor == "First paragraph" and t.blocks[0].text == "Premier paragraphe."


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("empty.md", b"", "empty"),
        ("blank.txt", b"   \n\n", "empty"),
        ("binary.txt", b"\x00\x01\x02binary\x00", "binary"),
        ("latin1.txt", "Caf\xe9 cr\xe8me".encode("latin-1"), "UTF-8"),
        ("truncated.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", "PDF"),
        ("fake.pdf", b"this is not a pdf at all", "not a PDF"),
        ("notzip.docx", b"plain text pretending to be docx", "not a zip"),
        ("bad-front.md", b"---\ntitle: [unclosed\n---\nText.\n", "malformed front matter"),
        ("unclosed.md", b"---\ntitle: x\n\nText without end of front matter.\n", "no closing"),
        ("lang.md", b"---\nlanguage: de\n---\nText.\n", "unknown language code 'de'"),
        ("authority.md", b"---\nauthority: gospel\n---\nText.\n", "unknown authority"),
        ("image.png", b"\x89PNG\r\n", "unsupported file type"),
    ],
)
def test_broken_files_are_named_with_their_reason(tmp_path, name, data, reason):
    with pytest.raises(DocumentError) as caught:
        load(write(tmp_path, name, data), name)
    assert caught.value.path == name
    assert reason.lower() in caught.value.reason.lower()
    assert str(caught.value).startswith(name)


def test_docx_zip_without_document_part(tmp_path):
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "not a word document")
    with pytest.raises(DocumentError, match="DOCX"):
        load(path, "empty.docx")


def test_markdown_paragraph_marked_note_is_the_documents_note_not_a_block(tmp_path):
    path = write(tmp_path, "guide.md", """---
title: "A guide"
note: "Compiled for the advisor."
---
# A guide

<!-- note -->
This page is a summary;
it is **not** an official text.

Researchers decide whether to keep their collaborations.

<!-- note -->

These are not legal advice.
""")
    doc = load(path, "guide.md")
    assert doc.meta.note == (
        "Compiled for the advisor. This page is a summary; it is not an official text. These are not legal advice."
    )
    assert [b.text for b in doc.blocks] == ["A guide", "Researchers decide whether to keep their collaborations."]


def test_markdown_front_matter_note_alone(tmp_path):
    doc = load(write(tmp_path, "guide.md", "---\nnote: |\n  A summary,\n  not official.\n---\nA paragraph.\n"), "guide.md")
    assert doc.meta.note == "A summary, not official."
    assert [b.text for b in doc.blocks] == ["A paragraph."]


def test_note_marker_above_a_heading_is_named(tmp_path):
    with pytest.raises(DocumentError, match="note") as caught:
        load(write(tmp_path, "guide.md", "<!-- note -->\n# Heading\n\nText.\n"), "guide.md")
    assert caught.value.path == "guide.md"


def test_sidecar_note_paragraphs_leave_the_blocks_for_the_note(tmp_path):
    write(tmp_path, "memo.txt", """Memo

This memo is a summary,
not an official text.

Institutional agreements are suspended.

Not legal advice: ask your office.
""")
    write(tmp_path, "memo.txt.meta.yaml", """note: Kept for reference.
note_paragraphs:
  - this memo is a SUMMARY
  - Not legal advice
""")
    doc = load(tmp_path / "memo.txt", "memo.txt")
    assert doc.meta.note == (
        "Kept for reference. This memo is a summary, not an official text. Not legal advice: ask your office."
    )
    assert [b.text for b in doc.blocks] == ["Memo", "Institutional agreements are suspended."]


def test_sidecar_note_paragraph_that_begins_no_paragraph_is_named(tmp_path):
    write(tmp_path, "memo.txt", "Memo\n\nInstitutional agreements are suspended.\n")
    write(tmp_path, "memo.txt.meta.yaml", "note_paragraphs: [This memo is a summary]\n")
    with pytest.raises(DocumentError) as caught:
        load(tmp_path / "memo.txt", "memo.txt")
    assert caught.value.path == "memo.txt.meta.yaml"
    assert "This memo is a summary" in caught.value.reason and "memo.txt" in caught.value.reason


def test_sidecar_note_paragraphs_that_are_not_a_list_are_named(tmp_path):
    write(tmp_path, "memo.txt", "Memo\n\nInstitutional agreements are suspended.\n")
    write(tmp_path, "memo.txt.meta.yaml", "note_paragraphs: 5\n")
    with pytest.raises(DocumentError, match="note_paragraphs must be a list") as caught:
        load(tmp_path / "memo.txt", "memo.txt")
    assert caught.value.path == "memo.txt.meta.yaml"


def test_manifest_without_note_still_loads():
    meta = DocumentMeta.from_dict({"path": "a.md", "title": "A", "sources": ["https://x.org"]})
    assert meta.note == "" and DocumentMeta.from_dict(meta.to_dict()) == meta


def test_html_blocks_inside_blocks_stay_apart(tmp_path):
    path = tmp_path / "nested.html"
    path.write_text("<main><ul><li><p>First point.</p><p>Second point.</p></li></ul>"
                    "<table><tr><td><div>Alpha</div><div>Beta</div></td></tr></table></main>")
    assert [b.text for b in load(path, "nested.html").blocks] == ["First point. Second point.", "Alpha Beta"]
