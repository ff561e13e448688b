"""Known gaps (knowledge/gaps.md): read strictly, kept in each version, and a question nearer a gap than the guidance
declined with the gap's topic and whom to ask, in the asker's language."""
from __future__ import annotations

import json
import shutil

import pytest

from advisor.answer import Advisor
from advisor.errors import DocumentError
from advisor.gaps import Gap, parse_gaps
from advisor.strings import t
from bot.serve import Runtime
from ingest.build import ingest
from ingest.gate import checks_gate
from ingest.service import KnowledgeAdmin

from .conftest import KNOWLEDGE, make_settings
from .test_web import client_for

COMMUNIQUE = "2022-03-10-cref-vlir-communique.md"
TAX = "Income tax of visiting researchers"
UKRAINE = "Students displaced from Ukraine"
GAPS = f"""# Known gaps

Questions the guidance does not answer, and whom to ask instead.

## {TAX}
Topic [fr]: Impôt sur le revenu des chercheurs invités
Topic [nl]: Inkomstenbelasting van gastonderzoekers
Ask: the FPS Finance
Ask [fr]: le SPF Finances
Ask [nl]: de FOD Financiën
- [en] How is the salary of a visiting researcher from Russia taxed in Belgium?
- [fr] Comment est imposé en Belgique le salaire d'un chercheur russe invité ?
- [nl] Hoe wordt het loon van een Russische gastonderzoeker in België belast?

## {UKRAINE}
Ask: the admissions office of the university
- [en] Can students who fled Ukraine finish their academic year at a Belgian university?
"""
TAX_NAMES = {"en": TAX, "fr": "Impôt sur le revenu des chercheurs invités", "nl": "Inkomstenbelasting van gastonderzoekers"}
TAX_QUESTIONS = {  # the same question as the gap's, in other words
    "en": ("How is a visiting Russian researcher's salary taxed in Belgium?", "the FPS Finance"),
    "fr": ("Comment le salaire d'un chercheur russe invité est-il imposé en Belgique ?", "le SPF Finances"),
    "nl": ("Hoe wordt het salaris van een Russische gastonderzoeker in België belast?", "de FOD Financiën"),
}
# Answered by the communiqué, and near the gap on students from Ukraine
MOBILITY = "Can Russian students on mobility finish their academic year in Belgium?"
MOBILITY_ANSWER = "complete their academic year in Belgium or Russia"


@pytest.mark.parametrize(("text", "line", "says"), [
    ("## Visas\n- [en] How long does a visa take?\n", 1, "has no 'Ask: <who can answer it>' line"),
    ("## Visas\nAsk: the embassy\n", 1, "has no question"),
    ("# Gaps\n\n- [en] How long does a visa take?\n", 3, "comes before any '## <topic>' heading"),
    ("## Visas\nAsk: the embassy\n- [de] Wie lange dauert ein Visum?\n", 3, "unknown language 'de'"),
    ("## Visas\nAsk: the embassy\n- [en]\n", 3, "holds no question"),
    ("## Visas\nAsk: the embassy\nHow long does a visa take?\n", 3, "expected 'Ask: <who>'"),
    ("## Visas\nAsk: the embassy\nAsk: the consulate\n- [en] Visa?\n", 3, "already has an 'Ask:' line"),
    ("## Visas\nAsk [de]: die Botschaft\n", 2, "unknown language 'de' in 'Ask [..]:'"),
    ("## Visas\nAsk:\n- [en] Visa?\n", 2, "'Ask:' names nobody"),
    ("## Visas\nAsk: a\n- [en] Visa?\n\n## visas\nAsk: b\n- [en] Visa again?\n", 5, "was already given on line 1"),
    ("### Visas\nAsk: a\n- [en] Visa?\n", 1, "a topic is written '## <topic>'"),
    ("## Visas\nTopic [de]: Visa\nAsk: a\n- [en] Visa?\n", 2, "unknown language 'de' in 'Topic [..]:'"),
    ("## Visas\nTopic [fr]: Visas\nTopic [fr]: Les visas\nAsk: a\n- [en] Visa?\n", 3, "already has a 'Topic [fr]:' line"),
    ("## Visas\nTopic [nl]:\nAsk: a\n- [en] Visa?\n", 2, "'Topic [nl]:' gives no name"),
    ("# Gaps\nTopic [fr]: Visas\n", 2, "comes before any '## <topic>' heading"),
    ("## Visas\nTopic [fr]: Séjours\nAsk: a\n- [en] Visa?\n\n## Permits\nTopic [fr]: séjours\nAsk: b\n- [en] Permit?\n", 7,
     "the [fr] name 'séjours' was already given on line 2"),
])
def test_a_bad_line_is_refused_by_the_file_name_and_its_number(text, line, says):
    with pytest.raises(DocumentError) as refused:
        parse_gaps("gaps.md", text)
    assert refused.value.path == "gaps.md" and refused.value.reason.startswith(f"line {line}: ") and says in str(refused.value)


def test_a_gaps_file_reads_topics_whom_to_ask_and_languages():
    questions = parse_gaps("gaps.md", GAPS)
    assert [(q.gap.topic, q.language) for q in questions] == [(TAX, "en"), (TAX, "fr"), (TAX, "nl"), (UKRAINE, "en")]
    tax, ukraine = questions[0].gap, questions[3].gap
    assert (tax.ask_for("en"), tax.ask_for("fr"), tax.ask_for("nl")) == ("the FPS Finance", "le SPF Finances", "de FOD Financiën")
    assert ukraine.ask_for("nl") == "the admissions office of the university"  # no Dutch wording: the default
    assert [tax.topic_for(language) for language in ("en", "fr", "nl")] == list(TAX_NAMES.values())
    assert ukraine.topic_for("fr") == UKRAINE  # no French name: the heading's


def test_a_gap_stored_before_topics_had_names_reads_with_its_heading_in_every_language():
    gap = Gap.from_row({"topic": TAX, "ask": "the FPS Finance"})  # a version published before `Topic [..]:` lines
    assert (gap.topic_for("fr"), gap.topic_for("nl"), gap.ask_for("fr")) == (TAX, TAX, "the FPS Finance")


def test_every_shipped_topic_is_named_in_french_and_dutch():
    questions = parse_gaps("gaps.md", (KNOWLEDGE / "gaps.md").read_text(encoding="utf-8"))
    unnamed = {q.gap.topic for q in questions if not (q.gap.topic_fr and q.gap.topic_nl and q.gap.ask_fr and q.gap.ask_nl)}
    assert not unnamed, f"a French or Dutch asker would read these in English: {sorted(unnamed)}"


def knowledge_with(folder, gaps: str | None, checks: str | None = None):
    folder.mkdir()
    shutil.copy(KNOWLEDGE / COMMUNIQUE, folder / COMMUNIQUE)
    if gaps is not None:
        (folder / "gaps.md").write_text(gaps, encoding="utf-8")
    if checks is not None:
        (folder / "checks.jsonl").write_text(checks, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def gapped(tmp_path_factory, embedder) -> Advisor:
    """The communiqué with the gaps above, ingested into a real Chroma store."""
    tmp = tmp_path_factory.mktemp("gapped")
    settings = make_settings(tmp, knowledge_dir=knowledge_with(tmp / "knowledge", GAPS))
    report = ingest(settings, None, embedder)
    assert report.published and not report.failed, report.failed
    return Advisor(settings, embedder)


@pytest.mark.parametrize("language", ["en", "fr", "nl"])
def test_a_question_near_a_gap_is_declined_with_its_topic_and_whom_to_ask(gapped, language):
    question, ask = TAX_QUESTIONS[language]
    answer = gapped.ask(question, language)
    assert not answer.answered and answer.quotes == () and answer.known_gap == TAX
    assert answer.intro == t(language, "known_gap", topic=TAX_NAMES[language])  # the topic as the asker reads it
    assert answer.footer == t(language, "ask_contact", contact=ask) and answer.text == f"{answer.intro} {answer.footer}"
    assert answer.to_dict()["known_gap"] == TAX


async def test_the_web_api_says_the_gap_and_whom_to_ask(gapped, embedder):
    services = Runtime(gapped.settings, embedder=embedder)
    services.load()
    try:
        async with client_for(services) as client:
            reply = (await client.post("/api/ask", json={"question": TAX_QUESTIONS["nl"][0]})).json()
        queued = services.review.entries()
    finally:
        services.journal.close()
        services.review.close()
    assert reply["answered"] is False and reply["known_gap"] == TAX and reply["quotes"] == []
    assert reply["intro"] == t("nl", "known_gap", topic=TAX_NAMES["nl"]) and "de FOD Financiën" in reply["footer"]
    assert queued == []  # the knowledge already says it does not cover it: no question for a reviewer


def test_a_covered_question_near_a_gap_is_still_answered(gapped):
    retriever = gapped.refresh().retriever
    near = retriever.nearest_gap(retriever.search(MOBILITY, "en"))
    assert near is not None and near.question.gap.topic == UKRAINE and near.similarity >= gapped.settings.gap_floor
    answer = gapped.ask(MOBILITY, "en")
    assert answer.answered and MOBILITY_ANSWER in answer.quotes[0].text and answer.known_gap == ""


def test_a_version_searched_through_its_index_never_meets_the_gap_questions(gapped, embedder, caplog):
    indexed = Advisor(gapped.settings.model_copy(update={"exact_search_units": 0}), embedder)
    assert indexed.refresh().retriever._large
    with caplog.at_level("WARNING", logger="advisor.retrieve"):
        answer = indexed.ask(MOBILITY, "en")
        declined = indexed.ask(TAX_QUESTIONS["en"][0], "en")
    assert answer.answered and MOBILITY_ANSWER in answer.quotes[0].text and declined.known_gap == TAX
    assert not [r for r in caplog.records if "does not hold" in r.getMessage()]


def test_a_follow_up_read_with_a_gap_question_is_declined_as_the_gap(gapped):
    question, _ = TAX_QUESTIONS["en"]
    answer = gapped.ask("And in Wallonia?", "en", previous=question)
    assert not answer.answered and answer.known_gap == TAX


def test_without_a_gaps_file_the_store_and_the_answers_are_as_before(tmp_path, embedder, gapped):
    settings = make_settings(tmp_path, knowledge_dir=knowledge_with(tmp_path / "knowledge", None))
    assert ingest(settings, None, embedder).published
    plain = Advisor(settings, embedder)
    snapshot = plain.refresh().snapshot
    assert snapshot.gaps == () and snapshot.gap_vectors is None
    assert len(snapshot.units) == len(gapped.refresh().snapshot.units)  # the gaps are not among the guidance's units
    ranking = plain.refresh().retriever.search(TAX_QUESTIONS["en"][0], "en")
    assert "gap" not in ranking.evidence and plain.refresh().retriever.known_gap(ranking) is None
    assert plain.ask(TAX_QUESTIONS["en"][0], "en").to_dict()["known_gap"] is None


def test_a_bad_gaps_file_is_reported_and_the_version_builds_without_gaps(tmp_path, embedder):
    settings = make_settings(tmp_path, knowledge_dir=knowledge_with(tmp_path / "knowledge", "## Visas\n- [en] Visa?\n"))
    report = ingest(settings, None, embedder)
    assert report.published and report.failed == [("gaps.md", "line 1: topic 'Visas' has no 'Ask: <who can answer it>' line")]
    assert Advisor(settings, embedder).refresh().snapshot.gaps == ()


def test_a_rollback_restores_the_gaps_of_the_version_it_serves(tmp_path, embedder):
    knowledge = knowledge_with(tmp_path / "knowledge", GAPS)
    settings = make_settings(tmp_path, knowledge_dir=knowledge)
    first = ingest(settings, None, embedder)
    advisor = Advisor(settings, embedder, watch_interval=0)
    question = TAX_QUESTIONS["fr"][0]
    assert advisor.ask(question, "fr").known_gap == TAX
    (knowledge / "gaps.md").write_text(GAPS[:GAPS.index(f"## {TAX}")] + GAPS[GAPS.index(f"## {UKRAINE}"):], encoding="utf-8")
    second = ingest(settings, None, embedder)
    assert second.published and advisor.refresh(force=True).snapshot.info.id == second.version
    assert {q.gap.topic for q in advisor.refresh().snapshot.gaps} == {UKRAINE}
    assert advisor.ask(question, "fr").known_gap == ""
    assert KnowledgeAdmin(settings, embedder).rollback(None, "test").version == first.version
    assert advisor.refresh(force=True).snapshot.info.id == first.version
    assert advisor.ask(question, "fr").known_gap == TAX and f"## {TAX}" in (knowledge / "gaps.md").read_text()


def test_the_gate_refuses_a_gap_that_would_decline_a_covered_check(tmp_path, embedder):
    check = json.dumps({"id": "mobility", "lang": "en", "question": MOBILITY, "expect_any": [MOBILITY_ANSWER],
                        "kind": "answer"}) + "\n"
    knowledge = knowledge_with(tmp_path / "knowledge", GAPS, check)
    settings = make_settings(tmp_path, knowledge_dir=knowledge)
    first = ingest(settings, None, embedder, gate=checks_gate(settings, embedder))
    (knowledge / "gaps.md").write_text(GAPS + f"- [en] {MOBILITY}\n", encoding="utf-8")  # the check itself, as a gap
    refused = ingest(settings, None, embedder, gate=checks_gate(settings, embedder))
    assert not refused.published and [r.id for r in refused.checks.regressions] == ["mobility"]
    assert refused.checks.regressions[0].now is None  # declined, where the serving version quoted the answer
    assert Advisor(settings, embedder).refresh().snapshot.info.id == first.version
