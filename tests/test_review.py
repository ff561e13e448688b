"""The review queue: what enters it, how it groups, the decisions and their bad input, and publishing them."""
from __future__ import annotations

import json
import shutil
import sqlite3
import threading

import pytest

from advisor.errors import AlreadyDecided, EntryGone, ReviewError, UnknownPassage
from advisor.gaps import parse_gaps
from advisor.review import ATTACH, DISMISS, UNCOVERED, ReviewQueue, question_key
from advisor.strings import t
from advisor.text import is_small_talk
from ingest.curate import REVIEWED_TOPIC, anchor, curation, expected_phrases, publish, review_check_id, with_gap, with_question

from .botapi_standin import ANA
from .conftest import KNOWLEDGE
from .test_telegram import QUESTION, no_network, offline  # noqa: F401  (fixtures)
from .test_web import client_for

# Covered by the communiqué, yet declined before anyone curates it (eval/public-faq.tune.jsonl).
DECLINED = "Les ponts sont donc coupés avec certaines universités ?"
ANSWERS = "decided to formally suspend academic relations with universities that had signed this declaration"
OFF_TOPIC = "What language requirements do the applicants need to fulfil?"  # not covered: declined


@pytest.mark.parametrize("text", ["thanks", "Hello!", "🙂", "https://example.org/page", "Merci beaucoup !", "  👍 "])
def test_small_talk_is_told_apart(text):
    assert is_small_talk(text)


@pytest.mark.parametrize("text", [DECLINED, OFF_TOPIC, "Can I attend a conference in Russia?"])
def test_questions_are_not_small_talk(text):
    assert not is_small_talk(text)


async def test_declined_questions_enter_grouped_without_personal_data_and_small_talk_stays_out(make_services):
    services = make_services()
    async with client_for(services) as client:
        for text in (DECLINED, "donc les ponts sont coupés avec certaines universités", "thanks", "🙂",
                     "https://example.org/", OFF_TOPIC, DECLINED.upper()):
            assert (await client.post("/api/ask", json={"question": text})).status_code == 200
    entries = services.review.entries()
    assert [(e.question, e.count, e.reason) for e in entries] == [(DECLINED, 3, "declined"), (OFF_TOPIC, 1, "declined")]
    bridges = entries[0]
    assert bridges.language == "fr" and len(bridges.candidates) == 5 and bridges.version == services.advisor.version
    assert all(services.advisor.passage(c.passage_id).text == c.text for c in bridges.candidates)
    columns = {row[1] for row in sqlite3.connect(services.settings.store_dir / "review.sqlite").execute("PRAGMA table_info(entries)")}
    assert not columns & {"user", "ip", "client", "chat_id", "channel"}


async def test_a_thumbs_down_on_a_confident_answer_enters_the_queue(make_services):
    services = make_services()
    async with client_for(services) as client:
        answer = (await client.post("/api/ask", json={"question": "Can I attend a conference in Russia?"})).json()
        assert answer["answered"] and services.review.entries() == []
        vote = {"question_id": answer["question_id"], "rating": -1, "feedback_token": answer["feedback_token"]}
        assert (await client.post("/api/feedback", json=vote)).status_code == 200
    [entry] = services.review.entries()
    assert (entry.question, entry.reason, entry.count) == ("Can I attend a conference in Russia?", "thumbs_down", 1)


async def test_telegram_questions_and_thumbs_down_enter_without_the_user_id(offline):  # noqa: F811
    chat, services = await offline()
    await chat.send(OFF_TOPIC)
    [reply] = await chat.send(QUESTION)
    await chat.press(reply, "👎")
    entries = {e.question: e for e in services.review.entries()}
    assert entries[OFF_TOPIC].reason == "declined" and entries[QUESTION].reason == "thumbs_down"
    db = sqlite3.connect(services.settings.store_dir / "review.sqlite")
    columns = [row[1] for row in db.execute("PRAGMA table_info(entries)") if row[1] not in ("vector", "confidence", "candidates", "count", "id")]
    kept = " ".join(str(value) for row in db.execute(f"SELECT {', '.join(columns)} FROM entries") for value in row)
    assert str(ANA["id"]) not in kept and "telegram" not in kept
    services.review.close()


def test_bad_decisions_get_named_errors_and_change_nothing(make_services):
    services = make_services()
    queue = services.review
    entry = queue.enter(DECLINED, "fr", "declined")
    passage = queue.get(entry).candidates[0].passage_id
    with pytest.raises(EntryGone, match="no review entry 999"):
        queue.decide(999, DISMISS, "web:admin")
    with pytest.raises(UnknownPassage, match="not-a-passage"):
        queue.decide(entry, ATTACH, "web:admin", "not-a-passage")
    with pytest.raises(ReviewError, match="Unknown decision 'delete'"):
        queue.decide(entry, "delete", "web:admin")
    assert queue.get(entry).status == "open"
    assert queue.decide(entry, ATTACH, "web:alice", passage) is True
    assert queue.decide(entry, ATTACH, "web:alice", passage) is False  # a double submit is a no-op
    with pytest.raises(AlreadyDecided, match="by web:alice"):
        queue.decide(entry, UNCOVERED, "web:bob")
    decided = queue.get(entry)
    assert (decided.status, decided.decision, decided.passage_id, decided.decided_by) == ("pending", ATTACH, passage, "web:alice")
    audit = [e for e in services.admin.store.audit_entries() if e["action"] == "review"]
    assert [(e["actor"], e["entry"], e["decision"]) for e in audit] == [("web:alice", entry, ATTACH)]


def test_two_admins_deciding_at_once_one_wins_the_other_is_told(make_services):
    services = make_services()
    entry = services.review.enter(OFF_TOPIC, "en", "declined")
    queues = [ReviewQueue(services.settings.store_dir / "review.sqlite", services.advisor) for _ in range(2)]
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def decide(queue: ReviewQueue, decision: str, actor: str) -> None:
        barrier.wait()
        try:
            outcomes.append(queue.decide(entry, decision, actor))
        except AlreadyDecided as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=decide, args=(q, d, a)) for q, d, a in
               zip(queues, (UNCOVERED, DISMISS), ("web:alice", "web:bob"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyDecided", "bool"] and True in outcomes
    assert services.review.get(entry).status in ("pending", "dismissed")
    for queue in queues:
        queue.close()


def test_curation_writes_the_attached_questions_format_and_checks(advisor):
    snapshot = advisor.refresh().snapshot
    passage = next(p for p in snapshot.passages.values() if ANSWERS in p.text)
    text = with_question("---\nquestions_for: x.md\n---\n", "Opening words here", "Why? <!-- original: evil -->")
    assert "<!-- original: Opening words here -->\n- Why?" in text and "evil -->" not in text
    assert with_question(text, "Opening words here", "Second?").count("<!-- original:") == 1
    opening = anchor(passage, snapshot)
    assert sum(p.text.startswith(opening) for p in snapshot.passages.values() if p.document == passage.document) >= 1
    assert any(ANSWERS[:40] in phrase or phrase in passage.text for phrase in expected_phrases(passage, snapshot))


def test_published_decisions_change_knowledge_and_answers_only_on_publish(make_services, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    services = make_services(knowledge_dir=knowledge)
    queue, advisor = services.review, services.advisor
    assert not advisor.ask(DECLINED, "fr").answered
    bridges = queue.enter(DECLINED, "fr", "declined")
    off_topic = queue.enter(OFF_TOPIC, "en", "declined")
    target = next(p for p in advisor.refresh().snapshot.passages.values() if ANSWERS in p.text)
    queue.decide(bridges, ATTACH, "web:alice", target.id)
    queue.decide(off_topic, UNCOVERED, "web:alice")
    before = {p: p.read_bytes() for p in knowledge.rglob("*") if p.is_file()}
    made = curation(queue.pending(), advisor.refresh().snapshot, lambda n: (knowledge / n).read_bytes()
                    if (knowledge / n).is_file() else None, "checks.jsonl")
    assert made.entries == (bridges, off_topic) and {p: p.read_bytes() for p in knowledge.rglob("*") if p.is_file()} == before
    assert f"- [en] {OFF_TOPIC}" in made.change.put["gaps.md"].decode()  # carried by the version, written on publish

    report, carried = publish(services.admin, queue, "web:alice")
    assert report.published, report.summary()
    assert [e.status for e in (queue.get(bridges), queue.get(off_topic))] == ["applied", "applied"]
    questions = next(p for p in (knowledge / "questions").glob("*.md") if DECLINED in p.read_text())
    assert f"questions_for: {target.document}" in questions.read_text()
    checks = [json.loads(line) for line in (knowledge / "checks.jsonl").read_text().splitlines()]
    assert {c["id"]: c["kind"] for c in checks[-2:]} == {review_check_id("fr", DECLINED): "answer",
                                                          review_check_id("en", OFF_TOPIC): "abstain"}
    answer = advisor.refresh(force=True) and advisor.ask(DECLINED, "fr")
    assert answer.answered and ANSWERS in answer.quotes[0].text
    gaps = (knowledge / "gaps.md").read_text()  # the not-covered question is a known gap now, asking the default contact
    reviewed = gaps[gaps.index(f"## {REVIEWED_TOPIC}"):]
    assert f"- [en] {OFF_TOPIC}" in reviewed and f"Ask: {services.settings.contact_for('en') or t('en', 'contact')}" in reviewed
    declined = advisor.ask(OFF_TOPIC, "en")
    assert not declined.answered and declined.known_gap == REVIEWED_TOPIC
    assert declined.intro == t("en", "reviewed_gap") and REVIEWED_TOPIC not in declined.text  # said, not a heading shown
    assert question_key(DECLINED) == question_key(DECLINED.lower() + " !")


def test_the_first_not_covered_decision_opens_a_topic_named_in_every_language():
    contacts = {language: t(language, "contact") for language in ("en", "fr", "nl")}
    gaps = with_gap("", REVIEWED_TOPIC, contacts, "fr", "Mon assurance couvre-t-elle une erreur d'exportation ?")
    [question] = parse_gaps("gaps.md", gaps)
    assert question.gap.topic == REVIEWED_TOPIC and question.language == "fr"
    assert [question.gap.topic_for(language) for language in ("en", "fr", "nl")] == [
        t(language, "reviewed_topic") for language in ("en", "fr", "nl")]  # a French asker reads it in French
    assert question.gap.ask_for("fr") == contacts["fr"]


def test_a_reviewed_topic_written_before_it_had_names_gets_them_with_the_next_question():
    contacts = {language: t(language, "contact") for language in ("en", "fr", "nl")}
    older = f"# Known gaps\n\n## {REVIEWED_TOPIC}\nAsk: {contacts['en']}\n- [en] Is my insurance valid?\n"
    gaps = with_gap(older, REVIEWED_TOPIC, contacts, "nl", "Dekt mijn verzekering een exportfout?")
    first, second = parse_gaps("gaps.md", gaps)
    assert first.text == "Is my insurance valid?" and second.language == "nl"  # nothing lost, the new one added
    assert second.gap.topic_for("nl") == t("nl", "reviewed_topic") and second.gap.topic_for("fr") == t("fr", "reviewed_topic")
    assert with_gap(gaps, REVIEWED_TOPIC, contacts, "fr", "Autre ?").count("Topic [nl]") == 1  # named once


def test_a_pending_decision_can_be_undone_until_it_is_published(make_services):
    services = make_services()
    queue = services.review
    entry = queue.enter(OFF_TOPIC, "en", "declined")
    assert queue.decide(entry, UNCOVERED, "web:alice")
    assert queue.undo(entry, "web:bob") is True and queue.get(entry).status == "open" and queue.pending() == []
    assert queue.undo(entry, "web:bob") is False  # nothing left to undo
    with pytest.raises(EntryGone):
        queue.undo(4242, "web:bob")
    queue.decide(entry, UNCOVERED, "web:alice")
    queue.mark_applied([entry], "v-test")
    assert queue.undo(entry, "web:bob") is False and queue.get(entry).status == "applied"
    assert [e["action"] for e in services.admin.store.audit_entries()][-3:] == ["review", "review_undone", "review"]


@pytest.mark.parametrize("attached, reason, reopened", [(0, "weak", False), (1, "weak", True), (0, "declined", True),
                                                        (0, "thumbs_down", True)])
def test_an_applied_attachment_comes_back_only_when_it_did_not_help(make_services, attached, reason, reopened):
    queue = make_services().review
    entry = queue.enter(DECLINED, "fr", "declined")
    passage = queue.get(entry).candidates[attached].passage_id
    queue.decide(entry, ATTACH, "web:alice", passage)
    queue.mark_applied([entry], "v-test")
    assert queue.enter(DECLINED, "fr", reason) == entry
    again = queue.get(entry)
    assert again.count == 2
    # quoted first but still weak: the attachment did what it could, and the admin is not asked again
    assert (again.status, again.passage_id) == (("open", None) if reopened else ("applied", passage))


def test_a_decisions_check_is_named_by_its_question_not_by_the_stores_entry_number():
    # two admins' stores both number their first entry 1: their checks must not share an id when the knowledge merges
    first, second = review_check_id("fr", DECLINED), review_check_id("en", OFF_TOPIC)
    assert first != second and first.startswith("review-fr-") and second.startswith("review-en-")
    assert review_check_id("fr", DECLINED.upper() + " !") == first  # the same question, as the queue groups it
    assert review_check_id("nl", DECLINED) != first


def test_a_refusal_names_the_review_decision_that_caused_it_and_the_undo_that_takes_it_back(make_services, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    services = make_services(knowledge_dir=knowledge)
    queue, advisor = services.review, services.advisor
    check = next(json.loads(line) for line in (knowledge / "checks.jsonl").read_text().splitlines() if '"c005"' in line)
    assert any(check["expect_any"][0] in q.text for q in advisor.ask(check["question"], "en").quotes[:1])
    # an asker rates the right answer not helpful, and an admin marks the question not covered, by mistake
    mistaken = queue.thumbs_down((check["question"], "en"))
    queue.decide(mistaken, UNCOVERED, "web:alice")
    elsewhere = queue.enter(OFF_TOPIC, "en", "declined")
    queue.decide(elsewhere, UNCOVERED, "web:alice")

    refused, _ = publish(services.admin, queue, "web:alice")
    assert not refused.published and "c005" in [r.id for r in refused.checks.regressions]
    assert [(s.entry, s.why) for s in refused.suspects["c005"]] == [(mistaken, "the decided question nearest to it (1.00)")]
    said = refused.summary()
    assert f"perhaps review entry {mistaken} (uncovered, “{check['question'][:40]}" in said
    assert f"`advisor review undo {mistaken}`" in said and f"undo {elsewhere}`" not in said
    assert "To publish: undo the review decision that caused it (`advisor review undo N`" in said

    assert queue.undo(mistaken, "web:alice")  # what `advisor review undo N` does
    published, carried = publish(services.admin, queue, "web:alice")
    assert published.published and carried.entries == (elsewhere,), published.summary()


async def test_a_question_marked_not_covered_that_is_still_answered_is_said_to_not_take_and_comes_back(make_services, tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    # known gaps that take only by a wide margin (ADVISOR_GAP_MARGIN_EN): the gap of a not-covered decision may not take
    services = make_services(knowledge_dir=knowledge, gap_margin_en=0.5)
    queue = services.review
    asked = "Can I attend a conference in Russia?"
    entry = queue.thumbs_down((asked, "en"))
    queue.decide(entry, UNCOVERED, "web:alice")
    report, _ = publish(services.admin, queue, "web:alice")
    assert report.published and report.untaken == [(entry, asked)], report.summary()
    assert f"still answers them (did not take): 1\n  - entry {entry}: “{asked}”" in report.summary()

    async with client_for(services) as client:
        answer = (await client.post("/api/ask", json={"question": asked.lower()})).json()
    assert answer["answered"]
    again = queue.get(entry)
    when = next(e for e in services.admin.store.audit_entries() if e["action"] == "review")["time"][:10]
    assert (again.status, again.count, again.earlier_decision) == ("open", 2, UNCOVERED)
    assert again.note == f"marked not covered on {when}, and still answered"
