"""Uploads an admin might be sent: each bad one is refused by name, in bounded time, and the knowledge stays as it was."""
from __future__ import annotations

import errno
import io
import threading
import time
import zipfile
from pathlib import Path

import pytest

from advisor.errors import DocumentError, DocumentExists, StorageFull
from advisor.store import KnowledgeStore
from ingest.build import ingest
from ingest.service import KnowledgeAdmin

from .conftest import make_settings
from .fakes import HashEmbedder

DOC = "---\ntitle: \"{title}\"\nissuer: Test\ndate: 2024-01-01\nlanguage: en\n---\n## Topic\n\n{body}\n"
CHECK = ('{"id": "c1", "lang": "en", "question": "Do researchers decide about individual collaborations?", '
         '"expect_any": ["decide themselves"], "kind": "answer"}\n')


@pytest.fixture
def site(tmp_path):
    """A small knowledge folder with a check, published once; the admin service over it."""
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "a.md").write_text(DOC.format(title="Doc A", body="Researchers decide themselves whether to keep individual "
                                                            "collaborations with Russian colleagues."))
    (kb / "b.md").write_text(DOC.format(title="Doc B", body="Export of dual-use technology needs a licence."))
    (kb / "synonyms.txt").write_text("co-author = coauthor\n")
    (kb / "checks.jsonl").write_text(CHECK)
    settings = make_settings(tmp_path, knowledge_dir=kb, pdf_max_pages=50)
    assert ingest(settings, None, HashEmbedder()).published
    return KnowledgeAdmin(settings, HashEmbedder()), kb


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(admin: KnowledgeAdmin, kb: Path, name: str, data: bytes, says: str, **kwargs) -> float:
    """Upload, expect a DocumentError naming the file and saying `says`; the folder and the serving version unchanged."""
    before, serving = snapshot(kb), KnowledgeStore(admin.settings.store_dir).current_id()
    started = time.perf_counter()
    with pytest.raises(DocumentError) as caught:
        admin.add_document(name, data, "test", **kwargs)
    took = time.perf_counter() - started
    assert caught.value.path == name and says in caught.value.reason, str(caught.value)
    last = KnowledgeStore(admin.settings.store_dir).audit_entries()[-1]  # the refusal is on record
    assert (last["action"], last["actor"], last["document"]) == ("upload_refused", "test", name)
    assert says in last["reason"]
    assert snapshot(kb) == before
    assert KnowledgeStore(admin.settings.store_dir).current_id() == serving
    assert not list(admin.settings.store_dir.glob("staging-*"))
    return took


def test_an_upload_named_like_a_document_needs_replace(site):
    admin, kb = site
    with pytest.raises(DocumentExists):
        admin.add_document("a.md", DOC.format(title="Unrelated", body="Lunch is at noon.").encode(), "test")
    assert b"decide themselves" in (kb / "a.md").read_bytes()
    assert KnowledgeStore(admin.settings.store_dir).audit_entries()[-1]["action"] == "upload_refused"


def test_a_replacement_the_checks_refuse_changes_nothing(site):
    admin, kb = site
    before = snapshot(kb)
    report = admin.add_document("a.md", DOC.format(title="Unrelated", body="Lunch is at noon.").encode(), "test", replace=True)
    assert not report.published and "checks failed" in report.reason
    assert snapshot(kb) == before
    assert KnowledgeStore(admin.settings.store_dir).audit_entries()[-1]["action"] == "upload"


def test_a_published_upload_lands_in_the_folder(site):
    admin, kb = site
    report = admin.add_document("c.md", DOC.format(title="Doc C", body="Visiting scholars register on arrival.").encode(), "test")
    assert report.published and (kb / "c.md").read_text().startswith("---")


def test_reserved_names_are_refused(site):
    admin, kb = site
    refused(admin, kb, "synonyms.txt", b"co-author = lunch\n", "reserved")


def test_yaml_aliases_are_refused(site):
    admin, kb = site
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "---\n" + "\n".join(lines) + "\ntitle: *a8\n---\n# Bomb\n\nText.\n"
    assert refused(admin, kb, "bomb.md", bomb.encode(), "aliases") < 10


def test_long_fields_and_odd_urls_are_refused(site):
    admin, kb = site
    refused(admin, kb, "long.md", DOC.format(title="x" * 5000, body="Text.").encode(), "limit is 2000")
    odd = "---\ntitle: T\nurl: javascript:alert(1)\n---\n# T\n\nText.\n"
    refused(admin, kb, "odd.md", odd.encode(), "not a web address")


def test_a_docx_zip_bomb_is_refused_before_unpacking(site):
    admin, kb = site
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", " " * (60 * 2**20))  # 60 MB of spaces in well under 1 MB
    assert len(packed.getvalue()) < 2**20
    assert refused(admin, kb, "bomb.docx", packed.getvalue(), "times its packed size") < 10


def test_a_docx_with_broken_xml_is_refused_by_name(site):
    admin, kb = site
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:  # a whole package whose main part is broken XML
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                         'package.relationships+xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.'
                         'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                         '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        archive.writestr("word/document.xml", "<w:document><w:body><broken")
    refused(admin, kb, "broken.docx", packed.getvalue(), "cannot be read as DOCX (XMLSyntaxError")


def pdf_of(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(text="Visiting scholars register at the international office.")
    return bytes(pdf.output())


def test_a_pdf_one_page_over_the_limit_is_refused_and_one_at_it_is_read(site):
    admin, kb = site  # ADVISOR_PDF_MAX_PAGES=50
    refused(admin, kb, "long.pdf", pdf_of(51), "the PDF has 51 pages; the limit is 50")
    report = admin.add_document("short.pdf", pdf_of(50), "test")
    assert report.published and (kb / "short.pdf").is_file()


def test_a_file_that_needs_too_much_memory_is_refused(site):
    admin, kb = site
    admin.settings = admin.settings.model_copy(update={"parse_memory_mb": 80})
    page = "<html><body>" + "<p><b>Visiting</b> <i>scholars</i> register.</p>" * 200_000 + "</body></html>"
    refused(admin, kb, "huge.html", page.encode(), "memory")


def test_a_full_disk_stops_the_ingestion_and_leaves_the_serving_version(site, monkeypatch):
    admin, kb = site
    store = KnowledgeStore(admin.settings.store_dir)
    serving = store.current_id()

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(KnowledgeStore, "write_version", disk_full)
    before = snapshot(kb)
    with pytest.raises(StorageFull, match="is full"):
        admin.add_document("c.md", DOC.format(title="Doc C", body="Visiting scholars register.").encode(), "test")
    assert store.current_id() == serving and snapshot(kb) == before


def test_the_gate_says_how_to_proceed(site):
    admin, _ = site
    report = admin.add_document("a.md", DOC.format(title="Unrelated", body="Lunch is at noon.").encode(), "test", replace=True)
    assert "regressed c1" in report.summary() and "--force" in report.summary()
    assert report.checks and report.checks.regressions[0].touched and "was changed or removed" in report.summary()


def test_concurrent_uploads_each_land_in_the_serving_version(site):
    admin, kb = site
    bodies = {f"new-{i}.md": DOC.format(title=f"New {i}", body=f"Visiting scholars of group {i} register on arrival.")
              for i in range(3)}
    errors: list[Exception] = []

    def send(name: str, body: str) -> None:
        try:
            assert admin.add_document(name, body.encode(), "test").published
        except Exception as exc:  # IngestBusy after the wait would be a fair refusal; record it
            errors.append(exc)

    threads = [threading.Thread(target=send, args=item) for item in bodies.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    serving = {d.path for d in KnowledgeStore(admin.settings.store_dir).current_manifest().documents}
    assert set(bodies) <= serving and all((kb / name).exists() for name in bodies)


def test_an_upload_with_nothing_to_quote_is_refused_not_published_without_it(site):
    admin, kb = site
    refused(admin, kb, "empty.md", b"---\ntitle: Empty\n---\n# Only a heading\n", "no paragraph of text to quote")


def test_a_title_taken_from_a_heading_is_held_to_the_field_limit(site):
    admin, kb = site
    refused(admin, kb, "heading.md", ("# " + "word " * 1000 + "\n\nText of the page.\n").encode(), "title")
