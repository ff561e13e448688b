"""Ingestion: broken files reported and the rest ingested; versions, incremental embedding, crash safety."""
from __future__ import annotations

import pytest

from advisor.answer import Advisor
from advisor.errors import IngestBusy
from advisor.store import KnowledgeStore
from ingest.build import ingest
from ingest.service import KnowledgeAdmin

from .conftest import make_settings
from .fakes import HashEmbedder

DOC = """---
title: "{title}"
issuer: Test
date: 2024-01-01
language: en
authority: summary
---
## Topic

{body}
"""


def write_doc(folder, name, title, body):
    (folder / name).write_text(DOC.format(title=title, body=body))


@pytest.fixture
def kb(tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    write_doc(folder, "a.md", "Doc A", "Researchers decide themselves whether to keep individual collaborations.\n\n"
              "Institutional agreements with signatory universities are suspended.")
    write_doc(folder, "b.md", "Doc B", "Export of dual-use technology needs a licence from the regional authority.")
    return folder


def test_broken_file_is_reported_and_the_rest_ingested(kb, tmp_path):
    (kb / "broken.pdf").write_bytes(b"%PDF-1.4 truncated")
    (kb / "notes.csv").write_text("a,b")
    settings = make_settings(tmp_path, knowledge_dir=kb)
    report = ingest(settings, None, HashEmbedder())
    assert report.published and report.documents == 2 and report.passages == 3
    assert [name for name, _ in report.failed] == ["broken.pdf"]
    assert ("notes.csv", "unsupported file type '.csv'; send one of .md, .txt, .html, .htm, .pdf, .docx") in report.skipped
    assert "broken.pdf" in report.summary()


def test_unchanged_knowledge_embeds_nothing_and_keeps_the_version(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb)
    first = ingest(settings, None, HashEmbedder())
    again_embedder = HashEmbedder()
    again = ingest(settings, None, again_embedder)
    assert again_embedder.calls == 0
    assert not again.published and again.version is None and "Nothing changed" in again.reason
    assert KnowledgeStore(settings.store_dir).current_id() == first.version


def test_changed_document_reembeds_only_its_passages_and_a_deleted_file_is_kept_until_removed(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb)
    ingest(settings, None, HashEmbedder())
    write_doc(kb, "a.md", "Doc A", "Researchers decide themselves whether to keep individual collaborations.\n\n"
              "Institutional agreements with signatory universities are now ended.")
    (kb / "b.md").unlink()
    embedder = HashEmbedder()
    report = ingest(settings, None, embedder)
    assert report.published and report.changed == ["a.md"] and report.removed == [] and report.kept == ["b.md"]
    assert "no longer in the knowledge folder: b.md" in report.summary()
    assert embedder.texts == 1  # the one new paragraph; the unchanged one came from the cache
    assert (report.passages_added, report.passages_removed) == (1, 1)
    snapshot = KnowledgeStore(settings.store_dir).load()
    assert {p.document for p in snapshot.passages.values()} == {"a.md", "b.md"}
    assert not any("now" not in p.text and "agreements" in p.text for p in snapshot.passages.values())

    removed = KnowledgeAdmin(settings, HashEmbedder()).remove_document("b.md", "test")
    assert removed.published and removed.removed == ["b.md"]
    assert {p.document for p in KnowledgeStore(settings.store_dir).load().passages.values()} == {"a.md"}


def test_crash_mid_ingestion_leaves_the_previous_version_serving(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb)
    first = ingest(settings, None, HashEmbedder())
    write_doc(kb, "c.md", "Doc C", "A new paragraph that has to be embedded before publishing.")
    with pytest.raises(RuntimeError, match="simulated"):
        ingest(settings, None, HashEmbedder(fail_after=0))
    store = KnowledgeStore(settings.store_dir)
    assert store.current_id() == first.version
    assert len(store.load().passages) == 3
    assert ingest(settings, None, HashEmbedder()).published


def test_second_ingestion_is_refused_while_one_runs(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb)
    store = KnowledgeStore(settings.store_dir)
    with store.lock(), pytest.raises(IngestBusy, match="Another ingestion is running"):
        ingest(settings, None, HashEmbedder())


def test_versions_are_pruned_and_rollback_publishes_an_earlier_one(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb, keep_versions=2)
    versions = []
    for n in range(3):
        write_doc(kb, "b.md", "Doc B", f"Export of dual-use technology, revision {n}.")
        versions.append(ingest(settings, None, HashEmbedder()).version)
    store = KnowledgeStore(settings.store_dir)
    assert store.version_ids() == versions[1:]
    admin = KnowledgeAdmin(settings, HashEmbedder())
    assert admin.rollback(None, "test").version == versions[1]
    assert store.current_id() == versions[1]
    assert [e["action"] for e in store.audit_entries()][-1] == "rollback"


def test_serving_advisor_switches_to_a_new_version_without_restart(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb)
    embedder = HashEmbedder()
    ingest(settings, None, embedder)
    advisor = Advisor(settings, embedder, watch_interval=0)
    before = advisor.refresh().snapshot.info.id
    write_doc(kb, "b.md", "Doc B", "A different paragraph about licences for exporting technology.")
    ingest(settings, None, embedder)
    assert advisor.refresh().snapshot.info.id != before


def test_translation_whose_original_paragraph_is_gone_is_reported(kb, tmp_path):
    (kb / "a.fr.md").write_text("---\ntranslation_of: a.md\nlanguage: fr\n---\n"
                                "<!-- original: Researchers decide themselves -->\nLes chercheurs décident.\n\n"
                                "<!-- original: A paragraph that was deleted -->\nUn paragraphe supprimé.\n")
    report = ingest(make_settings(tmp_path, knowledge_dir=kb), None, HashEmbedder())
    assert report.published
    assert report.failed == [("a.fr.md", "the original paragraph beginning 'A paragraph that was deleted' no longer exists in a.md")]


def test_corrupt_upload_is_refused_by_name_and_publishes_nothing(kb, tmp_path):
    settings = make_settings(tmp_path, knowledge_dir=kb)
    first = ingest(settings, None, HashEmbedder()).version
    admin = KnowledgeAdmin(settings, HashEmbedder())
    from advisor.errors import DocumentError

    with pytest.raises(DocumentError, match="report.pdf"):
        admin.add_document("report.pdf", b"%PDF-1.5 cut short", "test")
    assert not (kb / "report.pdf").exists()
    assert KnowledgeStore(settings.store_dir).current_id() == first


def test_shipped_knowledge_ingests_without_failures(built_store):
    store = KnowledgeStore(built_store)
    info = store.current_manifest()
    assert info.passages > 50 and len(info.documents) >= 8
    audit = store.audit_entries()[-1]
    assert audit["result"] == "published" and audit["failed"] == []


def with_one_check(kb, tmp_path):
    """A checks file with one question the knowledge answers; settings that let the hash embedder answer it."""
    (kb / "checks.jsonl").write_text(
        '{"id": "g1", "lang": "en", "question": "Are institutional agreements with signatory universities suspended?", '
        '"expect_any": ["agreements with signatory universities are suspended"], "kind": "answer"}\n')
    return make_settings(tmp_path, knowledge_dir=kb, min_relevance=0.1)


def test_gate_refuses_a_version_that_regresses_and_force_publishes_it(kb, tmp_path):
    settings = with_one_check(kb, tmp_path)
    from ingest.gate import checks_gate

    embedder = HashEmbedder()
    first = ingest(settings, None, embedder, gate=checks_gate(settings, embedder))
    assert first.published and first.checks.total == 0 and "first version" in first.checks.note
    write_doc(kb, "c.md", "Doc C", "Visiting scholars register on arrival.")  # a second version: the checks run
    second = ingest(settings, None, embedder, gate=checks_gate(settings, embedder))
    assert second.published and second.checks.passed == 1
    write_doc(kb, "a.md", "Doc A", "Researchers decide themselves whether to keep individual collaborations.")
    refused = ingest(settings, None, embedder, gate=checks_gate(settings, embedder))
    store = KnowledgeStore(settings.store_dir)
    assert not refused.published and refused.checks.regressions[0].id == "g1"
    assert store.current_id() == second.version and refused.version not in store.version_ids()
    forced = ingest(settings, None, embedder, gate=checks_gate(settings, embedder), force=True)
    assert forced.published and forced.forced and store.manifest(forced.version).forced
    assert store.audit_entries()[-1]["forced"] is True


def test_the_gate_embeds_its_check_questions_once_for_every_later_ingestion(kb, tmp_path):
    from advisor.embeddings import FusedEmbedder
    from ingest.gate import checks_gate

    settings = with_one_check(kb, tmp_path)
    questions: list[str] = []

    class Counting(HashEmbedder):
        def embed(self, texts, *, query=False):
            questions.extend(texts if query else [])
            return super().embed(texts, query=query)

    def models() -> FusedEmbedder:
        narrow = Counting(dim=32)
        narrow.model_id = "test:narrow-hash-embedder"
        return FusedEmbedder([Counting(), narrow])

    first = ingest(settings, None, models(), gate=checks_gate(settings, models()))
    assert first.checks.total == 0 and questions == []  # a first version runs no checks
    second = ingest(settings, None, models(), gate=checks_gate(settings, models()), force=True)
    assert second.checks.passed == 1 and len(questions) == 2  # the check's question, once through each model
    questions.clear()
    later = models()  # another process: its models have embedded nothing, so they know no widths yet
    again = ingest(settings, None, later, gate=checks_gate(settings, later), force=True)
    assert again.published and again.checks.passed == 1 and again.checks.baseline == second.version
    assert questions == [] and later.dims == ()  # asked from the cache, each model's slice read at its own width


def test_the_report_names_documents_lacking_a_translation_per_language(kb, tmp_path):
    (kb / "a.fr.md").write_text('---\ntranslation_of: a.md\nlanguage: fr\ntitle: "Doc A (FR)"\nnote: "Non officielle."\n---\n'
                                "<!-- original: Researchers decide themselves -->\nLes chercheurs décident eux-mêmes.\n\n"
                                "<!-- original: Institutional agreements with signatory -->\nLes accords sont suspendus.\n")
    report = ingest(make_settings(tmp_path, knowledge_dir=kb), None, HashEmbedder())
    assert {language: list(documents) for language, documents in report.untranslated.items()} == {"fr": ["b.md"], "nl": ["a.md", "b.md"]}
    lines = report.summary().splitlines()
    at = lines.index("Not (wholly) translated into nl: 2 documents")
    assert lines[at + 1:at + 3] == ["  - a.md: 2 paragraphs untranslated (“Researchers decide themselves whether to keep …”; "
                                    "“Institutional agreements with signatory universities are …”)",
                                    "  - b.md: 1 paragraph untranslated (“Export of dual-use technology needs a …”)"]


def test_the_gate_publishes_when_the_models_changed_or_there_are_no_checks(kb, tmp_path):
    from advisor.embeddings import FusedEmbedder
    from ingest.gate import checks_gate

    settings = with_one_check(kb, tmp_path)
    old = HashEmbedder()
    assert ingest(settings, None, old, gate=checks_gate(settings, old)).published
    narrow = HashEmbedder(dim=32)
    narrow.model_id = "test:narrow-hash-embedder"
    new = FusedEmbedder([HashEmbedder(dim=64), narrow])  # other models, wider vectors
    upgraded = ingest(settings, None, new, gate=checks_gate(settings, new))
    assert upgraded.published and upgraded.checks.passed == 1 and "other models" in upgraded.checks.note
    (kb / "checks.jsonl").write_text("\n")
    empty = ingest(settings, None, new, gate=checks_gate(settings, new))
    assert empty.published and empty.checks.total == 0
