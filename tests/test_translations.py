"""Unofficial French and Dutch translations: every guidance paragraph has both, every French or Dutch answer shows
them beside its English quotes, and a translation that drifted from its original is reported at ingestion."""
from __future__ import annotations

import json
import re

import pytest

from advisor.answer import Advisor
from advisor.documents import Translation
from advisor.store import KnowledgeStore
from advisor.text import sentence_spans
from bot import cli
from ingest.build import ingest
from ingest.load import load

from .conftest import KNOWLEDGE, make_settings
from .fakes import HashEmbedder

OTHER = {"fr": "nl", "nl": "fr"}
MARKS = {  # what every guidance translation must say of itself: unofficial, and that the English text governs
    "fr": ("(traduction non officielle)", "Traduction non officielle", "Seul le texte anglais fait foi."),
    "nl": ("(niet-officiële vertaling)", "Niet-officiële vertaling", "Alleen de Engelse tekst is rechtsgeldig."),
}
# Names that stay as they are in every language when the English paragraph uses them.
NAMES = ("FWO", "F.R.S.-FNRS", "Horizon Europe", "Horizon 2020", "Regulation (EU) 2021/821", "Scholars at Risk",
         "Erasmus+", "MSCA", "ERC", "BELSPO", "VLIR", "CRef", "ARES", "Dienst Controle Strategische Goederen",
         "EUR-Lex", "Euratom", "COFUND", "RSF", "RUR", "EUA", "CESAER", "KU Leuven",
         "UGent", "VUB", "ULB", "UHasselt", "UAntwerpen", "UCLouvain", "ULiège", "UNamur", "UMONS", "Annemie Schaus")
_FIGURE = re.compile(r"\d+(?:[/.,]\d+)*(?:[a-z](?![a-z]))?")  # 2021/821, 833/2014, 5l, 50; the 4 of "4th"


def _translation_files() -> list[Translation]:
    loaded = [load(path, path.relative_to(KNOWLEDGE).as_posix()) for path in sorted((KNOWLEDGE / "translations").glob("*.md"))]
    return [t for t in loaded if isinstance(t, Translation)]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """knowledge/ as ingested (a fast embedder: this is about which paragraph gets which translation)."""
    settings = make_settings(tmp_path_factory.mktemp("translations"))
    report = ingest(settings, None, HashEmbedder())
    return report, KnowledgeStore(settings.store_dir).load()


def test_every_guidance_document_has_a_french_and_a_dutch_translation_of_every_paragraph(shipped):
    report, snapshot = shipped
    assert report.published and report.failed == [] and report.untranslated == {}
    guidance = sorted(d.path for d in snapshot.info.documents if d.path.startswith("guidance/"))
    assert len(guidance) == len(list((KNOWLEDGE / "guidance").glob("*.md"))) >= 9
    for language in ("fr", "nl"):
        translated = {t.original for t in _translation_files() if t.language == language}
        assert set(guidance) <= translated, f"guidance without a {language} translation: {set(guidance) - translated}"
    untranslated = [(p.document, lang, p.text[:50]) for p in snapshot.passages.values()
                    for lang in ("fr", "nl") if not p.translations.get(lang)]
    assert untranslated == []


def test_guidance_translations_say_they_are_unofficial_and_that_the_english_text_governs():
    files = [t for t in _translation_files() if t.original.startswith("guidance/")]
    assert len(files) >= 18
    for translation in files:
        in_title, in_note, governs = MARKS[translation.language]
        assert translation.title.endswith(in_title), translation.path
        assert translation.note.startswith(in_note) and translation.note.endswith(governs), translation.path


def test_every_translation_into_a_language_carries_the_same_note():
    """A reader comparing two quotes sees one wording of "unofficial; which text governs" per language."""
    notes: dict[str, set[str]] = {}
    for translation in _translation_files():
        notes.setdefault(translation.language, set()).add(translation.note)
    assert set(notes) == {"fr", "nl"} and all(len(wordings) == 1 for wordings in notes.values()), notes


def test_translations_keep_the_figures_and_the_names_of_their_original(shipped):
    _, snapshot = shipped
    checked = 0
    for passage in snapshot.passages.values():
        figures = sorted(set(_FIGURE.findall(passage.text)))
        names = [n for n in NAMES if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", passage.text)]
        for language, text in passage.translations.items():
            flat = text.replace("\u202f", " ").replace("\xa0", " ")
            missing = sorted(set(figures) - set(_FIGURE.findall(flat)))
            # a regulation is "règlement (UE)" / "Verordening (EU)" in translation: its number is checked above
            lost = [n for n in names if n not in flat and not n.startswith("Regulation")]
            assert (missing, lost) == ([], []), f"{passage.document} [{language}]: {text[:80]}"
            checked += 1
    assert checked >= 2 * 60


def test_every_translated_paragraph_has_as_many_sentences_as_its_original(shipped):
    """A quote of some sentences shows the translation of those sentences only when the two align one to one;
    otherwise the asker gets the whole paragraph's translation and a Dutch or French question's words are not matched
    sentence by sentence (advisor/reading.py)."""
    _, snapshot = shipped
    paragraphs: dict[tuple[str, int], list] = {}
    for passage in sorted(snapshot.passages.values(), key=lambda p: p.position):
        paragraphs.setdefault((passage.document, passage.paragraph), []).append(passage)
    misaligned, checked = [], 0
    for (document, _), pieces in paragraphs.items():
        count = sum(len(p.sentences) or 1 for p in pieces)
        for language, text in pieces[0].translations.items():
            checked += 1
            if len(sentence_spans(text)) != count:
                misaligned.append((document, language, len(sentence_spans(text)), count, text[:60]))
    assert misaligned == []
    assert checked >= 2 * 60


def _checks(language: str) -> list[dict]:
    rows = [json.loads(line) for line in (KNOWLEDGE / "checks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if row["lang"] == language and row["kind"] == "answer"]


@pytest.mark.parametrize("asked_in", ["fr", "nl"])
@pytest.mark.parametrize("answered_in", ["same", "other"])
def test_french_and_dutch_answers_show_a_translation_beside_every_quote(advisor, asked_in, answered_in):
    """The French and Dutch questions of checks.jsonl, answered in their own language and in the other one."""
    language = asked_in if answered_in == "same" else OTHER[asked_in]
    snapshot = advisor.refresh().snapshot
    quotes = 0
    for row in _checks(asked_in):
        answer = advisor.ask(row["question"], language)
        for quote in answer.quotes:
            if (quote.document, language) not in snapshot.translation_notes:
                continue
            passage = snapshot.passages[quote.passage_id]
            whole = passage.translations[language]  # the quoted sentences' translation, or the paragraph's, said so
            if quote.translation_scope == "passage" or quote.text == passage.text:
                assert quote.translation == whole, (row["id"], quote.text[:60])
            else:
                assert quote.translation in whole and len(quote.translation) < len(whole), (row["id"], quote.text[:60])
            assert quote.translation_language == language and quote.translation_note, row["id"]
            assert quote.translation in answer.text and quote.translation_note in answer.text
            quotes += 1
    assert quotes >= 10  # the questions were answered with quotes, so the check above did run


def test_english_answers_carry_no_translation(advisor):
    answer = advisor.ask("Can I send controlled technology to a partner in Russia by e-mail?", "en")
    assert answer.quotes and all(q.translation is None and q.translation_note is None for q in answer.quotes)


LONG = ("Visiting researchers from partner universities register with the international office on arrival. "
        "They receive a badge, an e-mail account and a desk in the hosting group for the length of their stay. "
        "The hosting group names a contact person who answers their practical questions during the first weeks. "
        "Travel costs are refunded by the hosting group only when the invitation letter says so in writing. "
        "Housing is not provided, but the welcome desk keeps a list of rooms that landlords near the campus offer. "
        "Samples and prototypes may leave the laboratory only after the export-control contact has approved them. "
        "A visitor who wants to ship a prototype abroad therefore asks the export-control contact for approval first.")


def test_every_piece_of_a_long_paragraph_carries_its_translation(tmp_path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "visits.md").write_text(f"---\ntitle: Visits\nlanguage: en\n---\n## Visitors\n\n{LONG}\n\nShort closing paragraph here.\n")
    (kb / "visits.fr.md").write_text("---\ntranslation_of: visits.md\nlanguage: fr\nnote: \"Non officielle ; l'anglais fait foi.\"\n---\n"
                                     "<!-- original: Visiting researchers from partner -->\nLes chercheurs invités s'inscrivent.\n")
    settings = make_settings(tmp_path, knowledge_dir=kb, min_relevance=0.1)
    report = ingest(settings, None, HashEmbedder())
    pieces = [p for p in KnowledgeStore(settings.store_dir).load().passages.values() if p.text in LONG]
    assert len(pieces) >= 2 and {p.paragraph for p in pieces} == {pieces[0].paragraph}
    assert all(p.translations == {"fr": "Les chercheurs invités s'inscrivent."} for p in pieces)
    assert report.untranslated == {"fr": {"visits.md": ["Short closing paragraph here."]},  # a paragraph, not a piece
                                   "nl": {"visits.md": ["Visiting researchers from partner universities register",
                                                        "Short closing paragraph here."]}}

    answer = Advisor(settings, HashEmbedder()).ask("May a visitor ship a prototype abroad without export-control approval?", "fr")
    first = answer.quotes[0]
    assert "ship a prototype abroad" in first.text and not LONG.startswith(first.text)  # from the second piece
    assert first.translation == "Les chercheurs invités s'inscrivent." and first.translation_note == "Non officielle ; l'anglais fait foi."
    assert first.translation_scope == "passage"  # one sentence for seven: the paragraph's, and said so


LONG_FR = ["Les chercheurs invités s'inscrivent au bureau international à leur arrivée.",
           "Ils reçoivent un badge, un compte de courriel et un bureau dans le groupe d'accueil.",
           "Le groupe d'accueil désigne une personne de contact pour leurs questions pratiques.",
           "Les frais de voyage ne sont remboursés que si la lettre d'invitation le prévoit par écrit.",
           "Le logement n'est pas fourni, mais l'accueil tient une liste de chambres proches du campus.",
           "Les échantillons et prototypes ne quittent le laboratoire qu'avec l'accord du contact contrôle des exportations.",
           "Un visiteur qui veut expédier un prototype à l'étranger demande donc d'abord cet accord."]


def test_a_quote_of_some_sentences_gets_the_translation_of_those_sentences(tmp_path):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "visits.md").write_text(f"---\ntitle: Visits\nlanguage: en\n---\n## Visitors\n\n{LONG}\n")
    (kb / "visits.fr.md").write_text("---\ntranslation_of: visits.md\nlanguage: fr\n---\n"
                                     f"<!-- original: Visiting researchers from partner -->\n{' '.join(LONG_FR)}\n")
    settings = make_settings(tmp_path, knowledge_dir=kb, min_relevance=0.1)
    ingest(settings, None, HashEmbedder())
    answer = Advisor(settings, HashEmbedder()).ask("May a visitor ship a prototype abroad without export-control approval?", "fr")
    first = answer.quotes[0]
    english = [sentence for sentence in sentence_texts(LONG) if sentence in first.text]
    assert english and len(english) < len(LONG_FR)
    expected = " ".join(LONG_FR[sentence_texts(LONG).index(sentence)] for sentence in english)
    assert (first.translation, first.translation_scope) == (expected, "quote")
    assert first.translation in answer.text and "tout le paragraphe" not in answer.text


def sentence_texts(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_ingest_names_a_translation_whose_anchor_drifted_and_still_publishes(tmp_path, capsys, monkeypatch):
    kb = tmp_path / "knowledge"
    kb.mkdir()
    (kb / "a.md").write_text("---\ntitle: Doc A\nlanguage: en\n---\nResearchers decide themselves whether to keep "
                             "individual collaborations.\n\nInstitutional agreements with signatory universities are "
                             "suspended.\n\nInstitutional agreements with other universities continue.\n")
    (kb / "a.nl.md").write_text("---\ntranslation_of: a.md\nlanguage: nl\n---\n"
                                "<!-- original: Researchers decide themselves -->\nOnderzoekers beslissen zelf.\n\n"
                                "<!-- original: Researchers may no longer travel -->\nEen geschrapte alinea.\n\n"
                                "<!-- original: Institutional agreements with -->\nInstitutionele akkoorden.\n")
    monkeypatch.setattr(cli, "embedder_for", lambda settings, threads=None: HashEmbedder())
    code = cli.main(["ingest", str(kb), "--store", str(tmp_path / "store"), "--no-checks"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("Published knowledge version v0001.")
    assert "a.nl.md: the original paragraph beginning 'Researchers may no longer travel' no longer exists in a.md" in out
    assert "a.nl.md: the original paragraph beginning 'Institutional agreements with' matches 2 paragraphs of a.md" in out
    assert "Not (wholly) translated into fr: 1 document\n  - a.md: 3 paragraphs untranslated (“Researchers decide themselves" in out
    assert "Not (wholly) translated into nl: 1 document\n  - a.md: 2 paragraphs untranslated (“Institutional agreements with" in out
    passages = KnowledgeStore(tmp_path / "store").load().passages.values()
    assert [p.translations for p in sorted(passages, key=lambda p: p.position)] == [{"nl": "Onderzoekers beslissen zelf."}, {}, {}]
