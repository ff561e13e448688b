"""An admin cannot lose the knowledge: ingest adds, removal is explicit, rollback goes back to what served, pruning
keeps what a rollback needs, and every act is in the audit log. Each reproduction of issue 26 on a real store."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from advisor.answer import Advisor
from advisor.errors import AdvisorError, DocumentError, IngestBusy, StoreError
from bot import cli
from ingest.build import ingest
from ingest.gate import CheckOutcome, Regression, checks_gate
from ingest.report import IngestReport
from ingest.service import KnowledgeAdmin

from .conftest import KNOWLEDGE, make_settings
from .fakes import HashEmbedder

DOC = "---\ntitle: \"{title}\"\nissuer: Test\ndate: 2024-01-01\nlanguage: en\n---\n## Topic\n\n{body}\n"
CHECKS = ('{"id": "k1", "lang": "en", "question": "Do researchers decide about individual collaborations?", '
          '"expect_any": ["decide themselves"], "kind": "answer"}\n'
          '{"id": "k2", "lang": "en", "question": "Does dual-use export need a licence?", '
          '"expect_any": ["needs a licence"], "kind": "answer"}\n')


@pytest.fixture
def site(tmp_path):
    """Two documents and their checks, published once as v0001 through the gate; the admin service over them."""
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "a.md").write_text(DOC.format(title="Doc A", body="Researchers decide themselves whether to keep individual "
                                                            "collaborations with Russian colleagues."))
    (kb / "b.md").write_text(DOC.format(title="Doc B", body="Export of dual-use technology needs a licence."))
    (kb / "checks.jsonl").write_text(CHECKS)
    settings = make_settings(tmp_path, knowledge_dir=kb, min_relevance=0.1, keep_versions=3)
    admin = KnowledgeAdmin(settings, HashEmbedder())
    assert admin.reingest("test").published
    return admin, kb


def documents(admin: KnowledgeAdmin) -> set[str]:
    return {d.path for d in admin.documents()}


def note(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / "elsewhere" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(DOC.format(title=name, body=body))
    return path


def test_ingesting_one_file_adds_it_and_runs_the_checks(site, tmp_path):
    admin, kb = site
    report = ingest(admin.settings, [note(tmp_path, "c.md", "Visiting scholars register on arrival.")], HashEmbedder(),
                    gate=checks_gate(admin.settings, HashEmbedder()))
    assert report.published and report.added == ["c.md"] and report.removed == []
    assert documents(admin) == {"a.md", "b.md", "c.md"}
    assert report.checks.total == 2 and report.checks.passed == 2  # the knowledge folder's checks, though not given
    assert not (kb / "c.md").exists()  # the file has its home; the store keeps its bytes
    again = admin.reingest("test")  # a routine ingest of the folder keeps it
    assert documents(admin) == {"a.md", "b.md", "c.md"} and again.removed == []
    assert admin.remove_document("c.md", "test").published and documents(admin) == {"a.md", "b.md"}
    admin.rollback(None, "test")  # back with c.md, which still lives in the store only, not in the folder
    assert documents(admin) == {"a.md", "b.md", "c.md"} and not (kb / "c.md").exists()


def test_exact_builds_from_the_paths_alone_and_the_gate_names_the_documents_checks_rely_on(site, tmp_path):
    admin, _ = site
    only = note(tmp_path, "c.md", "Visiting scholars register on arrival.")
    report = admin.reingest("test", paths=[only], exact=True)
    assert not report.published and report.removed == ["a.md", "b.md"]
    assert report.checks.dropped == {"a.md": ("k1",), "b.md": ("k2",)}
    assert "the checks k1 rely on a.md, which this version would drop" in report.summary()
    assert documents(admin) == {"a.md", "b.md"}


def test_rollback_returns_to_what_served_and_pruning_keeps_the_last_good_version(site, tmp_path):
    admin, kb = site
    store = admin.store
    good = store.current_id()
    bad = admin.reingest("test", paths=[note(tmp_path, "c.md", "Visiting scholars register.")], exact=True, force=True)
    assert bad.published and documents(admin) == {"c.md"}
    assert admin.rollback(None, "test").version == good
    third = admin.add_document("d.md", DOC.format(title="D", body="Conferences in Moscow need approval.").encode(), "test")
    assert third.published
    assert admin.rollback(None, "test").version == good  # what served before, not the previous number (the broken one)
    fourth = admin.add_document("e.md", DOC.format(title="E", body="Summer schools in Russia are a personal choice.").encode(),
                                "test")
    assert fourth.published and good in store.version_ids()  # it served in the last publishes: kept
    assert admin.rollback_target() == good
    admin.rollback(good, "test")  # `advisor rollback --to` still serves a named version
    assert store.current_id() == good and documents(admin) == {"a.md", "b.md"}
    for n in range(4):  # more publishes than versions kept: what no rollback needs is pruned
        assert admin.add_document(f"f{n}.md", DOC.format(title="F", body=f"Note {n} on summer schools.").encode(),
                                  "test").published
    assert bad.version not in store.version_ids() and len(store.version_ids()) <= 5


def test_the_whole_knowledge_is_accepted_again_while_a_broken_version_serves(site, tmp_path):
    admin, _ = site
    admin.reingest("test", paths=[note(tmp_path, "c.md", "Visiting scholars register.")], exact=True, force=True)
    back = admin.reingest("test", exact=True, paths=[admin.settings.knowledge_dir])
    assert back.published, back.summary()
    assert back.checks.baseline != back.previous  # compared with the last good version, not the broken one
    assert documents(admin) == {"a.md", "b.md"}


def test_rolling_back_an_upload_moves_its_file_to_the_trash_and_ingest_does_not_bring_it_back(site):
    admin, kb = site
    admin.add_document("d.md", DOC.format(title="D", body="Conferences in Moscow need approval.").encode(), "test")
    assert (kb / "d.md").exists()
    admin.rollback(None, "test")
    assert not (kb / "d.md").exists()
    entry = admin.store.audit_entries()[-1]
    assert entry["action"] == "rollback" and entry["trashed"] == ["d.md"]
    assert (Path(entry["trash"]) / "d.md").read_text().startswith("---")
    assert admin.reingest("test").version is None  # nothing changed: the folder matches what serves
    assert documents(admin) == {"a.md", "b.md"}


def test_rolling_back_a_replacement_restores_the_earlier_file(site):
    admin, kb = site
    before = (kb / "b.md").read_bytes()
    replaced = admin.add_document("b.md", DOC.format(title="B2", body="Export of dual-use technology needs a licence "
                                                     "from the region.").encode(), "test", replace=True)
    assert replaced.published and (kb / "b.md").read_bytes() != before
    admin.rollback(None, "test")
    assert (kb / "b.md").read_bytes() == before


def test_remove_is_explicit_audited_and_refused_when_checks_rely_on_the_document(site):
    admin, kb = site
    with pytest.raises(DocumentError, match="no document of this name"):
        admin.remove_document("nope.md", "test")
    assert admin.store.audit_entries()[-1]["action"] == "remove_refused"
    refused = admin.remove_document("b.md", "test")
    assert not refused.published and refused.checks.dropped == {"b.md": ("k2",)}
    assert (kb / "b.md").exists() and documents(admin) == {"a.md", "b.md"}
    (kb / "checks.jsonl").write_text(CHECKS.splitlines()[0] + "\n")
    assert admin.reingest("test").published  # the check that relied on it is gone
    removed = admin.remove_document("b.md", "test")
    assert removed.published and removed.removed == ["b.md"]
    assert not (kb / "b.md").exists() and documents(admin) == {"a.md"}
    assert admin.store.audit_entries()[-1] | {"document": "b.md", "published": True} == admin.store.audit_entries()[-1]


def test_an_upload_carries_its_details_as_a_sidecar(site):
    admin, kb = site
    html = b"<html><head><title>Memo</title></head><body><p>Guest lecturers from Russia need a visa invitation.</p></body></html>"
    details = {"title": "Memo on guests", "issuer": "Rector's office", "date": "2024-05-02",
               "url": "https://example.org/memo", "authority": "official", "language": "en"}
    assert admin.add_document("memo.html", html, "test", meta=details).published
    meta = next(d for d in admin.documents() if d.path == "memo.html")
    assert (meta.title, meta.issuer, meta.date, meta.url, meta.authority) == (
        "Memo on guests", "Rector's office", "2024-05-02", "https://example.org/memo", "official")
    assert "issuer: Rector's office" in (kb / "memo.html.meta.yaml").read_text()


@pytest.mark.parametrize(("details", "says"), [
    ({"issuer": "<script>alert(1)</script>"}, "contains markup"),
    ({"title": "x" * 10_000}, "10,000 characters long"),
    ({"date": "5 May 2024"}, "YYYY-MM-DD"),
    ({"url": "javascript:alert(1)"}, "not a web address"),
    ({"authority": "binding"}, "not one of official, summary"),
    ({"colour": "red"}, "unknown detail"),
])
def test_bad_details_are_refused_by_name_and_nothing_changes(site, details, says):
    admin, kb = site
    before = sorted(p.name for p in kb.iterdir())
    serving = admin.store.current_id()
    with pytest.raises(DocumentError, match=says):
        admin.add_document("memo.html", b"<p>Guest lecturers need a visa.</p>", "test", meta=details)
    assert sorted(p.name for p in kb.iterdir()) == before and admin.store.current_id() == serving


def test_rollback_with_no_earlier_served_version_and_during_an_ingestion_are_named_errors(site):
    admin, _ = site
    with pytest.raises(AdvisorError, match="no earlier served version"):
        admin.rollback(None, "test")
    with pytest.raises(StoreError, match="no knowledge version 'v0099'"):
        admin.rollback("v0099", "test")
    with admin.store.lock(), pytest.raises(IngestBusy):
        admin.rollback(None, "test", wait_seconds=0.5)


def test_two_admins_publishing_at_once_both_land(site):
    admin, _ = site
    results: list[object] = []

    def upload(n: int) -> None:
        try:
            results.append(admin.add_document(f"u{n}.md", DOC.format(title=f"U{n}", body=f"Upload {n} on Erasmus.").encode(),
                                              f"admin{n}"))
        except IngestBusy as exc:
            results.append(exc)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    landed = {f"u{n}.md" for n, r in enumerate(results) if not isinstance(r, Exception)}
    assert all(not isinstance(r, Exception) for r in results)
    assert {"u0.md", "u1.md"} <= documents(admin) and landed


def test_one_file_added_to_the_shipped_knowledge_keeps_every_answer(store_copy, tmp_path, embedder):
    """The reproduction with the real models: the co-author question is still answered from the communiqué."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = make_settings(tmp_path, store_dir=store_copy, knowledge_dir=knowledge)
    extra = note(tmp_path, "visiting-researchers.md", "Register every visiting researcher with the international office "
                                                        "before arrival.")
    report = ingest(settings, [extra], embedder, gate=checks_gate(settings, embedder))
    assert report.published and report.added == ["visiting-researchers.md"] and report.removed == []
    assert report.checks.total > 100 and not report.checks.regressions
    answer = Advisor(settings, embedder).ask("Can I keep working with my Russian co-author?", "en")
    assert answer.quotes and answer.quotes[0].document != "visiting-researchers.md"


NOT_COVERED = "Peer reviewing manuscripts: which rules?"  # declined by the two documents of `site`
MARKED = json.dumps({"id": "review-en-0123456789ab", "lang": "en", "question": NOT_COVERED, "expect_any": [],
                     "kind": "abstain", "source": "review"}) + "\n"  # as a "not covered" review decision writes it


def test_a_question_marked_not_covered_that_a_new_document_answers_is_published_and_named(site):
    admin, kb = site
    with open(kb / "checks.jsonl", "a") as checks:
        checks.write(MARKED)
    (kb / "c.md").write_text(DOC.format(title="Doc C", body="Peer reviewing manuscripts follows each journal's rules."))
    report = admin.reingest("test")
    said = report.summary()
    assert report.published and not report.checks.regressions, said
    assert ("Now answered — was marked not covered in the review: “Peer reviewing manuscripts: which rules?” → c.md "
            "(“Peer reviewing manuscripts follows each journal's rules.”; check review-en-0123456789ab)") in said
    assert "drop the old decision: delete the check's line (by its id) from checks.jsonl" in said
    assert "Checks: 2 of 3 passed, compared with v0001 (the serving version), which passed the other 1." in said
    assert MARKED in (kb / "checks.jsonl").read_text()  # nothing dropped for the admin: they decide
    again = admin.reingest("test", paths=[note(kb.parent, "d.md", "Summer schools in Russia are a personal choice.")])
    assert again.published and "which failed the other 1 too." in again.summary(), again.summary()
    assert "Now answered" not in again.summary()  # said once, by the build that filled the gap


def test_a_question_marked_not_covered_that_an_unchanged_document_now_answers_is_a_regression(site):
    admin, kb = site
    with open(kb / "checks.jsonl", "a") as checks:
        checks.write(MARKED)
    (kb / "questions").mkdir()  # a question attached to a.md pulls the not-covered one to it; a.md itself is unchanged
    (kb / "questions" / "a.md").write_text("---\nquestions_for: a.md\n---\n\n<!-- original: Researchers decide themselves "
                                           "whether to keep -->\n- Peer reviewing manuscripts with Russian colleagues?\n")
    with open(kb / "a.md", "a") as edited:  # a.md changed elsewhere: the words quoted are still the old ones
        edited.write("\n## Contacts\n\nThe research office answers questions about it.\n")
    report = admin.reingest("test")
    said = report.summary()
    assert not report.published and [r.id for r in report.checks.regressions] == ["review-en-0123456789ab"], said
    assert ("regressed review-en-0123456789ab: “Peer reviewing manuscripts: which rules?” was declined (it was marked "
            "not covered in the review); now it quotes “Researchers decide themselves") in said
    assert "from a.md\n" in said and "None" not in said and "ranks first" not in said and "Now answered" not in said


def test_a_filled_gap_whose_decision_is_not_published_yet_is_taken_back_with_review_undo():
    filled = Regression("review-en-0123456789ab", NOT_COVERED, "Peer reviewing manuscripts follows…", None,
                        now_document="c.md")
    checks = CheckOutcome(ok=False, total=3, passed=1, hit_at_1=0.5, baseline_hit_at_1=1.0, baseline="v0001",
                          regressions=(Regression("k1", "Do researchers decide?", None, "Researchers decide themselves"),),
                          answered=(filled,))
    report = IngestReport(version="v0002", previous="v0001", checks=checks, filled={filled.id: 12})
    said = report.summary()
    assert "Now answered — was marked not covered in the review: “Peer reviewing manuscripts: which rules?” → c.md" in said
    assert "drop the old decision: `advisor review undo 12` (the decision is not published yet)" in said
    assert ("“Do researchers decide?” quoted “Researchers decide themselves”; now it is declined (the passage it quoted "
            "is unchanged)") in said
    assert "advisor rollback" not in said  # refused: nothing new serves, so a rollback would undo the change before


@pytest.fixture
def command(site, capsys, monkeypatch):
    """`advisor … --store S` run through `main(argv)` over the site's store and knowledge folder, as an admin runs it."""
    admin, kb = site
    monkeypatch.setattr(cli, "embedder_for", lambda settings, threads=None: HashEmbedder())
    monkeypatch.setenv("ADVISOR_KNOWLEDGE_DIR", str(kb))

    def run(*args: str) -> str:
        capsys.readouterr()
        assert cli.main([*args, "--store", str(admin.settings.store_dir)]) == 0
        return capsys.readouterr().out

    return run


def test_the_audit_table_shows_a_forced_publish_as_forced(site, command, tmp_path):
    admin, _ = site
    forced = admin.reingest("test", paths=[note(tmp_path, "c.md", "Visiting scholars register.")], exact=True, force=True)
    assert forced.published and forced.forced
    rows = {line.split()[4]: line for line in command("audit").splitlines()[1:]}  # by version
    assert "published (forced)" in rows[forced.version] and "forced" not in rows["v0001"]


def test_a_rollback_says_which_files_it_moved_out_of_the_knowledge_folder_and_where(site, command):
    admin, kb = site
    admin.add_document("d.md", DOC.format(title="D", body="Conferences in Moscow need approval.").encode(), "test")
    said = command("rollback")
    trash = admin.store.audit_entries()[-1]["trash"]
    assert said == f"Now serving knowledge version v0001.\nMoved out of the knowledge folder into {trash}: d.md.\n"
    assert (Path(trash) / "d.md").is_file() and not (kb / "d.md").exists()
    replaced = DOC.format(title="B2", body="Export of dual-use technology needs a licence from the region.")
    assert admin.add_document("b.md", replaced.encode(), "test", replace=True).published
    said = command("rollback", "--to", "v0001")
    trash = admin.store.audit_entries()[-1]["trash"]
    assert said == (f"Now serving knowledge version v0001.\nMoved out of the knowledge folder into {trash}: b.md.\n"
                    "Put back in the knowledge folder as they were in v0001: b.md.\n")
