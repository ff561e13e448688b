"""How a follow-up is read with the question before it: the follow-up decides the subject, the earlier turn
fills in only what it leaves out.

"And what about PhD students?" after "Can I host a visiting researcher from Russia?" names a subject of its own:
it is searched about PhD students, borrowing the earlier question's setting ("Russia"). "Is that the same in
Wallonia?" or "Why?" only points back: it stays on the earlier question, and what it asks turns the answer (the
sentence giving the reason, a date, the passage on the place it names). "And in Switzerland?" names only what
the guidance never mentions: it is not answered. Which one a follow-up does is decided from evidence: the
follow-up is searched alone and together with the earlier question; it names a new subject when, alone, the
guidance covers it surely enough and its best passage holds more of the follow-up's own words than the joint
search's best does (docs/conversations.md has the conditions in full and the measurements behind them).
"""
from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from .asking import (
    asks_count,
    asks_reason,
    asks_when,
    asks_whom,
    draws_consequence,
    gives_count,
    gives_date,
    gives_reason,
    names_whom,
    without_asking_whom,
)
from .documents import OFFICIAL
from .lexical import MIN_PREFIX, Query
from .passages import Passage
from .retrieve import Hit, Ranking, Retriever
from .text import (
    STOPWORDS,
    content_words,
    detect_language,
    is_follow_up,
    opens_on,
    points_back,
    refers_back,
    sentence_spans,
    stem,
    term_set,
    without_elision,
    word_weight,
    words,
)

JOINED, NEW_SUBJECT = "joined", "new_subject"
SHORT = 3  # a message of at most this many words ("Why?", "Since when?", "En de UGent?") may lean on the one before
# A message the guidance is not sure of alone that speaks of what was said before with a pronoun or pointing word, and
# names at most this many things of its own ("Ils demandaient quoi, au juste ?", "C'était daté de quand, déjà ?"), is
# read with the earlier question; a whole question naming more ("Do Elsevier journals still accept manuscripts from
# authors at universities whose rector signed it?") stays a question of its own
REFERRING_WORDS = 4
# Fitted on the thread sets (docs/conversations.md): a follow-up names a subject of its own when
SUBJECT_WEIGHT = 2.0  # it holds a word at least this rare (advisor.text.word_weight: "PhD", not "since" or "decided"),
ALONE_CONFIDENT = 0.3  # searched alone, the guidance covers it at least this surely,
POINTING_CONFIDENT = 0.6  # or this surely when it points back ("Is that the same in Wallonia?", "…qu'ils en concluent"),
# and the best passage found for it alone holds more of those words than the best found with the earlier question,
# and some word of the earlier question too (what the follow-up leaves implicit: "Russia").
# Dutch writes compounds as one word whose last part says what it is: "onderzoeksdata" is data, held by a sentence
# on "research data" (the words it begins with are matched already, as for any language). Used to choose the
# sentence quoted; whether a passage holds a word at all stays as written.
COMPOUNDING = {"nl"}
COMPOUND_HEAD = 4  # the shortest last part counted ("data", "beurs")
NAME_WEIGHT = 5.0  # a word no list of common words holds (`word_weight` at its top): a name, an acronym, a compound
SETTING_SHARE = 0.1  # an earlier word held by at least this share of the passages is setting, lent to a new subject
WHOM_REACH = 8  # "Who do I ask?": how far down the reading's passages one saying whom to ask is looked for
ANSWER_REACH = 3  # "Since when?" when the first passage holds no date: how far down one that does is looked for
REASON_REACH = 2  # "Why?" after a sentence that draws a consequence: how many passages back its reason is looked for
TELLING_WEIGHT = 1.5  # below this a word is among the few hundred commonest of its language ("cas", "today"): it
# tells no passage from another, so it does not move a pointing-back follow-up to the passage beside ("C'est toujours
# le cas ?" is not asking about "case by case")


@dataclass(frozen=True)
class Reading:
    """What a follow-up is searched as, and how it borrows from the earlier question."""

    kind: str  # JOINED: the earlier question with the follow-up; NEW_SUBJECT: the follow-up's own subject
    query: str  # the text searched
    own: tuple[str, ...]  # the follow-up's words the earlier question lacks, as written
    borrowed: tuple[str, ...]  # the earlier question's words the reading keeps, as written
    ranking: Ranking  # the search of `query`, or its passages in the order the reading found them to answer
    topic: str  # the self-contained question a later follow-up leans on

    # its first passage was chosen by the reading, not by the search's score: the official text is then not put first
    # for scoring about as well (Advisor._choose), since the reading found it does not answer what the follow-up adds
    chosen: bool = False


def leans_back(text: str) -> bool:
    """Whether a message may lean on the one before: it says so ("and…", "that…"), or it is a few plain words
    ("Why?", "Since when?"); an emoji, a link or code is not a follow-up."""
    if "://" in text or "www." in text:
        return False
    return is_follow_up(text) or 0 < len(words(text)) <= SHORT and not any(c.isdigit() for c in text)


def asks_whom_next(text: str, language: str) -> bool:
    """Whether a message asks whom to turn to next: it names little else ("Who do I ask?", "Alors je demande à qui,
    concrètement ?") or opens as a follow-up ("And for a student exchange in Yekaterinburg, who do I ask?").
    "Whom should I ask whether our MoU is still valid?" is a question of its own."""
    return asks_whom(text) and (len(words(without_asking_whom(text))) <= SHORT or opens_on(text, language))


def opens_leaning_back(text: str) -> bool:
    """Whether a message of several sentences opens on a short question that leans on the one before ("Where's that
    from? I need a source for my report.")."""
    spans = sentence_spans(text)
    opening = text[spans[0][0]:spans[0][1]] if len(spans) > 1 else ""
    return "?" in opening and leans_back(opening)


def refers_to_earlier(text: str, language: str) -> bool:
    """Whether a message too long to be read as a follow-up at once still leans on what was said before: it opens on
    "and…" ("Et s'il choisit plutôt la KU Leuven… ?"), or it speaks of it with a pronoun or pointing word and names
    little of its own (`REFERRING_WORDS`). Asked only of a message that alone the guidance is not sure of."""
    return (refers_back(text, language) and 0 < len(set(_own_words(text, language))) <= REFERRING_WORDS
            or opens_on(text, language))


def read_follow_up(retriever: Retriever, text: str, earlier: str, language: str, limit: int,
                   earlier_document: str | None = None) -> Reading:
    """The reading of follow-up `text` after the question `earlier`, with its ranking; `earlier_document` is the
    document the earlier answer was quoted from, when the conversation kept it (else the one its topic finds first).

    One asking whom to turn to ("Who do I ask?", "En voor een ERC-aanvraag, bij wie kan ik dan terecht?") is read
    for the subject it names, or the earlier one, and answered first by a passage saying whom to ask about it."""
    if not asks_whom(text):
        return _read(retriever, text, earlier, language, limit, earlier_document)
    reading = _read(retriever, text, earlier, language, limit, earlier_document, without_asking_whom(text))
    # naming nothing else, it asks whom to ask about the earlier subject: its own document's contact comes first
    return _whom_first(reading, earlier_document if reading.kind == JOINED and not reading.own else None)


def _read(retriever: Retriever, text: str, earlier: str, language: str, limit: int,
          earlier_document: str | None = None, subject: str | None = None) -> Reading:
    said_before = detect_language(earlier, language)  # "Et pour les doctorants ?" may follow an English question
    earlier_words = content_words(earlier, said_before)
    earlier_stems = {stem(without_elision(w, lang), lang) for w in earlier_words for lang in {said_before, language}}
    # `subject`: the words that name what it asks about, when some of it only asks whom to turn to
    own = tuple(dict.fromkeys(w for w in _own_words(subject if subject is not None else text, language)
                              if stem(w, language) not in earlier_stems))
    naming = [w for w in own if word_weight(w, language) >= SUBJECT_WEIGHT]
    joined_text = f"{earlier} {text}"
    joined, before, *alone = retriever.search_many([joined_text, earlier, *([text] if naming else [])], language, limit * 3)
    # a pronoun with no name of its own speaks of the earlier subject: "C'était daté de quand, déjà ?" asks about it,
    # whatever words of its own ("daté") the guidance lacks; "And if she goes to Switzerland?" names a place
    speaks_of_it = points_back(text, language) or refers_back(text, language) and not _names(text, tuple(naming))
    if (naming and not speaks_of_it and alone[0].confidence < retriever.threshold
            and not any(_known(retriever, w, language) for w in naming)):
        # it names only what the guidance never mentions, and alone finds nothing sure ("Et pour l'Université de
        # Genève ?", "And in Switzerland?"): neither the earlier answer nor a near miss answers it; the next
        # follow-up still leans on the earlier question
        return Reading(NEW_SUBJECT, text, _as_written(own, text), (), Ranking([], {}, 0.0), earlier)
    if naming:
        # the follow-up's own words the guidance holds somewhere: a place it never names ("St Petersburg") tells nothing
        new = Ranking(alone[0].hits[:limit], alone[0].evidence, alone[0].confidence)  # the wider search is for pointing back
        wanted = retriever.query(" ".join(w for w in own if _known(retriever, w, language)), language)
        sure = POINTING_CONFIDENT if refers_back(text, language) else ALONE_CONFIDENT
        found_alone, found_joined = _coverage(_top(new), wanted, language), _coverage(_top(joined), wanted, language)
        # the same words found either way: it names a subject of its own when alone it leads somewhere else than
        # the earlier question did ("Et si les résultats sont déjà publiés ?" after sending data to Russia)
        elsewhere = found_alone == found_joined > 0 and _top(new) != _top(before)
        if new.confidence >= sure and (found_alone > found_joined or elsewhere):
            reading = _new_subject(retriever, text, earlier, earlier_words, _as_written(own, text), new, wanted,
                                   language, limit)
            if reading is not None:
                return reading
    # It points back: the earlier question with it, or, when that finds nothing sure, the earlier question's passages.
    sure = joined.confidence >= retriever.threshold
    searched = joined if sure else before
    ranking, moved = _pointing_back(retriever, searched, before, text, own, earlier, said_before, language, limit,
                                    earlier_document)
    # the place it moved to ("Ce réseau existe aussi en Wallonie ?") stays in the topic a later "Depuis quand ?" leans on
    return Reading(JOINED, joined_text, _as_written(own, text), (), ranking, joined_text if moved else earlier,
                   chosen=_first(ranking) != _first(searched))


def _whom_first(reading: Reading, document: str | None) -> Reading:
    """The reading with a passage near the top that says whom to ask put first, quoted from that sentence: one of
    `document` (the earlier answer's, when the follow-up names nothing else), else the first; unchanged when none does."""
    hits = list(reading.ranking.hits)
    saying = [(hit, i) for hit in hits[:WHOM_REACH] for i in _saying_whom(hit.passage)[:1]]
    if not saying:
        return reading
    hit, sentence = next(((h, i) for h, i in saying if h.passage.document == document), saying[0])
    ranking = Ranking([replace(hit, sentence=sentence), *(h for h in hits if h is not hit)], reading.ranking.evidence,
                      reading.ranking.confidence)
    return replace(reading, ranking=ranking, chosen=reading.chosen or hit is not hits[0])


def _saying_whom(passage: Passage) -> list[int]:
    """The passage's sentences that say whom to ask, by index."""
    spans = passage.sentences or ((0, len(passage.text)),)
    return [i for i, (a, b) in enumerate(spans) if names_whom(passage.text[a:b])]


def _pointing_back(retriever: Retriever, ranking: Ranking, before: Ranking, text: str, own: tuple[str, ...],
                   earlier: str, said_before: str, language: str, limit: int,
                   answered_from: str | None = None) -> tuple[Ranking, bool]:
    """The ranking of a follow-up that points back, turned to what it adds, and whether it moved to another passage
    for a place or body the follow-up names.

    "Why?" is answered by the sentence that gives the reason, "Since when?" and "How many?" by a passage with a date
    or a count. A follow-up naming a place or body ("Ce réseau existe aussi en Wallonie ?") is answered by the passage
    of the earlier answer's document holding that name, if one does. The first passage is quoted from its sentence
    holding most of the follow-up's words.
    """
    hits = list(ranking.hits)
    if not hits:
        return ranking, False
    if asks_reason(text):
        return Ranking(_reason_first(retriever, hits)[:limit], ranking.evidence, ranking.confidence), False
    # "Et à Gand ?" after "Et l'ULB ?" answered from the page on Belgian universities: Ghent is looked for there, not in
    # the document the topic finds first again (the CRef's members)
    earlier_document = answered_from or (before.hits[0].passage.document if before.hits else None)
    answers = gives_date if asks_when(text) else gives_count if asks_count(text) else None
    if answers is not None and not answers(hits[0].passage.text):
        # near this search's first or the earlier one's, the earlier answer's document first; or further down, on a
        # place or body the earlier topic named that little of the guidance holds ("Wallonie")
        near = [*hits[:ANSWER_REACH], *before.hits[:ANSWER_REACH]]
        named = [w for w in _names(earlier, tuple(content_words(earlier, said_before)))
                 if 0 < _share(retriever, w, language) < SETTING_SHARE]
        on_it = [h for h in hits if h.passage.document == earlier_document
                 and _coverage(h.passage, retriever.query(" ".join(named), language), language) > 0] if named else []
        ordered = [*(h for h in near if h.passage.document == earlier_document), *on_it, *near]
        giving = next((h for h in ordered if answers(h.passage.text)), None)
        if giving is not None:
            hits = [giving, *(h for h in hits if h is not giving)]
    moved = False
    subject = retriever.query(" ".join(w for w in _names(text, own) if _known(retriever, w, language)), language)
    if subject.words:
        held = [(_coverage(h.passage, subject, language), h) for h in hits]
        most = max(c for c, _ in held)
        # "ce réseau … en Wallonie ?": the earlier answer's document has a passage on the place named. When it has none,
        # its answer holds there too ("Can I attend a conference in Russia?" "Is that the same in Wallonia?").
        there = [h for c, h in held if c == most and h.passage.document == earlier_document]
        if most > held[0][0] and there:
            hits, moved = there, True
    wanted = retriever.query(" ".join(w for w in own if _known(retriever, w, language)), language)
    if wanted.words and not moved and answers is None:
        # "Who signed it first?" after the address's wording: the passage beside it in the same document that holds
        # more of what the follow-up asks answers it, not the earlier passage again
        # by words that name something ("signed"), not by common ones ("C'est toujours le cas ?" is no "case by case")
        naming_wanted = retriever.query(" ".join(w for w in own if _known(retriever, w, language)
                                                 and word_weight(w, language) >= TELLING_WEIGHT), language)
        beside = _beside(hits, naming_wanted, earlier_document, language) if naming_wanted.words else None
        if beside is not None:
            hits = [beside, *(h for h in hits if h is not beside)]
    if wanted.words:
        # the official text answers first only where it holds as much of what the follow-up adds ("En de Universiteit
        # Antwerpen?" is answered by the passage naming it, not by the communiqué's opening)
        first = _coverage(hits[0].passage, wanted, language)
        hits = [hits[0], *(h for h in hits[1:] if not _official(retriever, h.passage)
                           or _coverage(h.passage, wanted, language) >= first)]
        hits[0] = _quoted_from(retriever, hits[0], wanted, language)
    return Ranking(hits[:limit], ranking.evidence, ranking.confidence), moved


def _beside(hits: list[Hit], wanted: Query, document: str | None, language: str) -> Hit | None:
    """The first of the hits from `document` whose own text holds more of the wanted words than the first hit's does
    (the questions attached to a passage ask with verbs of every kind: "decided", "signed")."""
    first = _coverage(hits[0].passage, wanted, language, phrasings=False)
    held = [(_coverage(h.passage, wanted, language, phrasings=False), h) for h in hits[1:] if h.passage.document == document]
    most = max((c for c, _ in held), default=0.0)
    return next((h for c, h in held if c == most), None) if most > first else None


def _official(retriever: Retriever, passage: Passage) -> bool:
    return retriever.snapshot.documents[passage.document].authority == OFFICIAL


def _names(text: str, own: tuple[str, ...]) -> list[str]:
    """The follow-up's own words written with a capital after its first word: the names of places, bodies and
    programmes ("Wallonie", "Brussel"), not the verbs and nouns that ask ("beslist", "repose-t-il")."""
    first = words(text)[:1]
    return [w for w in _as_written(own, text) if w[:1].isupper() and w.lower() not in first]


def _reason_first(retriever: Retriever, hits: list[Hit]) -> list[Hit]:
    """The hits with the first one's reason first: its sentence that gives one, or, when it draws a consequence
    ("The rectors therefore decided…") and gives none, the nearest passage before it in its document that gives
    one ("In reaction to this position…"), else the one just before."""
    top = hits[0]
    passage, language = top.passage, retriever.snapshot.documents[top.passage.document].language
    giving = _giving_reason(passage, language)
    if giving:
        after = [i for i in giving if i >= top.sentence]
        return [replace(top, sentence=(after or giving)[0]), *hits[1:]]
    a, b = passage.sentences[min(top.sentence, len(passage.sentences) - 1)] if passage.sentences else (0, len(passage.text))
    if not draws_consequence(passage.text[a:b], language):
        return hits
    earlier = {p.position: p for p in retriever.passages
               if p.document == passage.document and passage.position - REASON_REACH <= p.position < passage.position}
    if not earlier:
        return hits
    reasons = [(p, _giving_reason(p, language)) for p in sorted(earlier.values(), key=lambda p: -p.position)]
    previous, key = next(((p, giving[0]) for p, giving in reasons if giving), (reasons[0][0], 0))
    found = next((h for h in hits if h.passage.id == previous.id), None)
    reason = replace(found, sentence=key) if found else Hit(previous, top.score, top.dense, top.lexical, key)
    return [reason, top, *(h for h in hits[1:] if h is not found)]


def _giving_reason(passage: Passage, language: str) -> list[int]:
    """The passage's sentences that give a reason, by index."""
    spans = passage.sentences or ((0, len(passage.text)),)
    return [i for i, (a, b) in enumerate(spans) if gives_reason(passage.text[a:b], language)]


def _quoted_from(retriever: Retriever, hit: Hit, wanted: Query, language: str) -> Hit:
    """The hit with its key sentence moved to the one holding most of the follow-up's words, when one holds more."""
    passage = hit.passage
    if len(passage.sentences) <= 1:
        return hit
    translated = passage.translations.get(language, "")
    parts = [translated[a:b] for a, b in sentence_spans(translated)] if translated else []
    aligned = len(parts) == len(passage.sentences)
    held = []
    for i, (a, b) in enumerate(passage.sentences):
        bag = term_set(passage.text[a:b], "en") | (term_set(parts[i], language) if aligned else frozenset())
        held.append(_held(bag, wanted, language, compounds=True))
    best = max(range(len(held)), key=lambda i: (held[i], i == hit.sentence))
    return replace(hit, sentence=best) if held[best] > held[min(hit.sentence, len(held) - 1)] else hit


def _own_words(text: str, language: str) -> list[str]:
    """The follow-up's content words, without elided articles ("l'université") and without the words that only
    point back or compare ("pareil", "hetzelfde")."""
    return [w for w in (without_elision(w, language) for w in content_words(text, language))
            if len(w) > 1 and not points_back(w, language) and w not in STOPWORDS.get(language, STOPWORDS["en"])]


def _known(retriever: Retriever, word: str, language: str) -> bool:
    """Whether any passage of the guidance holds the word (or a word it begins)."""
    return _share(retriever, word, language) > 0


def _share(retriever: Retriever, word: str, language: str) -> float:
    """The share of the guidance's passages that hold the word (or a word it begins, or its synonyms)."""
    found, _ = retriever.lexical.coverage(retriever.query(word, language))
    return float((found > 0).mean()) if found.size else 0.0


def _new_subject(retriever: Retriever, text: str, earlier: str, earlier_words: list[str], own: tuple[str, ...],
                 alone: Ranking, wanted: Query, language: str, limit: int) -> Reading | None:
    """The follow-up's subject, with the earlier question's words its best passage also holds ("Russia")."""
    top = _top(alone)
    # It borrows the earlier question's setting, the words much of the guidance holds ("Russia", "2022"), not the
    # earlier subject's own names, which it replaces ("FWO" before "En een Horizon Europe-voorstel?").
    setting = [w for w in earlier_words if _share(retriever, w, language) >= SETTING_SHARE]
    replaced = retriever.query(" ".join(w for w in earlier_words if w not in setting and _known(retriever, w, language)),
                               language)
    borrowed = _as_written(tuple(_held_words(retriever, alone, setting, language)), earlier)
    if not borrowed:  # its best passage shares none of it: "and for Flanders?" (after a conference) or "En de UGent?"
        return None  # (after KU Leuven) is no new subject but a place or body to ask the earlier question about
    query = " ".join([text, *borrowed])
    [ranking] = retriever.search_many([query], language, limit)
    if _coverage(_top(ranking), wanted, language) >= _coverage(top, wanted, language):
        held = _holding(retriever, ranking, wanted, replaced, language)
        return Reading(NEW_SUBJECT, query, own, borrowed, held, query, chosen=_first(held) != _first(ranking))
    held = _holding(retriever, alone, wanted, replaced, language)
    return Reading(NEW_SUBJECT, text, own, (), held, text, chosen=_first(held) != _first(alone))


def _holding(retriever: Retriever, ranking: Ranking, wanted: Query, replaced: Query, language: str) -> Ranking:
    """The ranking without the passages holding less than half as much of the wanted words as the one holding most
    (a short follow-up alone comes close to much, and the official text would otherwise be preferred); of those
    holding most, one not about the earlier subject first; the first quoted from its sentence holding most of
    the wanted words (not the one holding the borrowed words)."""
    covered = [(_coverage(h.passage, wanted, language), h) for h in ranking.hits]
    most = max((c for c, _ in covered), default=0.0)
    # the official text is quoted first when it answers about as well (Advisor._choose): only if it holds as much
    kept = [(c, h) for c, h in covered if c >= most / 2 and (c == most or not _official(retriever, h.passage))]
    hits = [h for _, h in kept]
    if hits and _coverage(hits[0].passage, replaced, language) > 0:  # its first passage is also on the earlier subject
        clean = next((h for c, h in kept if c == most and _coverage(h.passage, replaced, language) == 0), None)
        if clean is not None:
            hits = [clean, *(h for h in hits if h is not clean)]
    if hits:
        hits[0] = _quoted_from(retriever, hits[0], wanted, language)
    return Ranking(hits, ranking.evidence, ranking.confidence)


def _as_written(found: tuple[str, ...], text: str) -> tuple[str, ...]:
    """Words as the asker wrote them (content_words folds case): "PhD", "Russia"."""
    spelled = [re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE) for w in found]
    return tuple(m.group(0) if m else w for m, w in zip(spelled, found))


def _held_words(retriever: Retriever, ranking: Ranking, candidates: list[str], language: str) -> list[str]:
    """Those of the words its first passage holds, once each."""
    top = _top(ranking)
    return list(dict.fromkeys(w for w in candidates if _coverage(top, retriever.query(w, language), language) > 0))


def _first(ranking: Ranking) -> str | None:
    """The id of the first passage: a reading may keep the passage and change the sentence quoted."""
    return ranking.hits[0].passage.id if ranking.hits else None


def _top(ranking: Ranking) -> Passage | None:
    return ranking.hits[0].passage if ranking.hits else None


def names(text: str, language: str) -> tuple[str, ...]:
    """The words of a question rare enough to be names (`NAME_WEIGHT`): "CESAER", "gastprofessor", "MSCA-fellow"."""
    written = (without_elision(w, language) for w in content_words(text, language))
    # a hyphenated compound names by its parts too: "MSCA-fellow" by "MSCA"
    found = [part for w in written for part in dict.fromkeys([w, *w.split("-")]) if len(part) > 2]
    return tuple(dict.fromkeys(w for w in found if word_weight(w, language) >= NAME_WEIGHT))


def holds(passage: Passage, word: str, language: str, also: str = "") -> bool:
    """Whether a passage's own text, heading or translation (or `also`, in English) holds the word."""
    bag = set(term_set(passage.text, "en")) | term_set(passage.heading, "en") | term_set(also, "en")
    bag |= term_set(passage.translations.get(language, ""), language)
    return _held(bag, Query((word,), {}, (1.0,)), language) > 0


def _coverage(passage: Passage | None, wanted: Query, language: str, phrasings: bool = True) -> float:
    """The share of the wanted words' weight a passage holds (its text, heading, translation or, with `phrasings`, the
    questions attached to it)."""
    if passage is None or not wanted.words:
        return 0.0
    bag: set[str] = set()
    for text, lang in [(passage.text, "en"), (passage.heading, "en"), (passage.translations.get(language, ""), language),
                       *((q, language) for q in (passage.questions if phrasings else ()))]:
        bag.update(term_set(text, lang))  # remembered: the same passages are weighed for every word and every turn
    return _held(bag, wanted, language)


def _held(bag: AbstractSet[str], wanted: Query, language: str, compounds: bool = False) -> float:
    """The share of the wanted words' weight a bag of stemmed terms holds; with `compounds`, a Dutch compound is also
    held by its last part."""
    if not wanted.words:
        return 0.0
    got = 0.0
    compounds = compounds and language in COMPOUNDING
    for word, weight in zip(wanted.words, wanted.weights):
        options = {stem(word, language), stem(word, "en")}  # as written: a synonym rule's wide net would hold anything
        if any(o in bag or (len(o) >= MIN_PREFIX and any(b.startswith(o) or o.startswith(b) for b in bag if len(b) >= MIN_PREFIX))
               or compounds and any(len(o) > len(b) >= COMPOUND_HEAD and o.endswith(b) for b in bag)
               for o in options):
            got += weight
    return got / sum(wanted.weights)
