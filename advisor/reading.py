"""How a follow-up is read with the question before it: the follow-up decides the subject, the earlier turn
fills in only what it leaves out.

"And what about PhD students?" after "Can I host a visiting researcher from Russia?" names a subject of its own:
it is searched about PhD students. "Is that the same in Wallonia?" or "Why?" only points back: it stays on the
earlier question. Which of the two a follow-up does is decided from evidence: the follow-up is searched alone
and together with the earlier question; it names a new subject when, alone, the guidance covers it surely
enough and its best passage holds more of the follow-up's own words than the joint search's best does
(docs/conversations.md has the conditions in full and the measurements behind them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexical import MIN_PREFIX
from .passages import Passage
from .retrieve import Query, Ranking, Retriever
from .text import content_words, detect_language, is_follow_up, points_back, stem, terms, word_weight, words

JOINED, NEW_SUBJECT = "joined", "new_subject"
SHORT = 3  # a message of at most this many words ("Why?", "Since when?", "En de UGent?") may lean on the one before
# Fitted on eval/threads.tune.jsonl (docs/conversations.md): a follow-up names a subject of its own when
SUBJECT_WEIGHT = 2.0  # it holds a word at least this rare (advisor.text.word_weight: "PhD", not "since" or "decided"),
ALONE_CONFIDENT = 0.3  # searched alone, the guidance covers it at least this surely,
POINTING_CONFIDENT = 0.6  # or this surely when it points back ("Is that the same in Wallonia?"),
# and the best passage found for it alone holds more of those words than the best found with the earlier question,
# and some word of the earlier question too (what the follow-up leaves implicit: "Russia").


@dataclass(frozen=True)
class Reading:
    """What a follow-up is searched as, and how it borrows from the earlier question."""

    kind: str  # JOINED: the earlier question with the follow-up; NEW_SUBJECT: the follow-up's own subject
    query: str  # the text searched
    own: tuple[str, ...]  # the follow-up's words the earlier question lacks, as written
    borrowed: tuple[str, ...]  # the earlier question's words the reading keeps, as written
    ranking: Ranking  # the search of `query`


def leans_back(text: str) -> bool:
    """Whether a message may lean on the one before: it says so ("and…", "that…"), or it is a few plain words
    ("Why?", "Since when?"); an emoji, a link or code is not a follow-up."""
    if "://" in text or "www." in text:
        return False
    return is_follow_up(text) or 0 < len(words(text)) <= SHORT and not any(c.isdigit() for c in text)


def read_follow_up(retriever: Retriever, text: str, earlier: str, language: str, limit: int) -> Reading:
    """The reading of follow-up `text` after the question `earlier`, with its ranking."""
    said_before = detect_language(earlier, language)  # "Et pour les doctorants ?" may follow an English question
    earlier_words = content_words(earlier, said_before)
    earlier_stems = {stem(w, said_before) for w in earlier_words} | {stem(w, language) for w in earlier_words}
    own = tuple(dict.fromkeys(w for w in content_words(text, language) if stem(w, language) not in earlier_stems))
    naming = [w for w in own if word_weight(w, language) >= SUBJECT_WEIGHT]
    joined_text = f"{earlier} {text}"
    joined, before, *alone = retriever.search_many([joined_text, earlier, *([text] if naming else [])], language, limit)
    if naming:
        wanted, new = retriever.query(" ".join(naming), language), alone[0]
        sure = POINTING_CONFIDENT if points_back(text) else ALONE_CONFIDENT
        if new.confidence >= sure and _coverage(_top(new), wanted, language) > _coverage(_top(joined), wanted, language):
            reading = _new_subject(retriever, text, earlier, earlier_words, _as_written(own, text), new, wanted,
                                   language, limit)
            if reading is not None:
                return reading
    # It points back: the earlier question with it, or, when that finds nothing sure, the earlier question's passages.
    ranking = joined if joined.confidence >= retriever.threshold else before
    return Reading(JOINED, joined_text, _as_written(own, text), (), ranking)


def _new_subject(retriever: Retriever, text: str, earlier: str, earlier_words: list[str], own: tuple[str, ...],
                 alone: Ranking, wanted: Query, language: str, limit: int) -> Reading | None:
    """The follow-up's subject, with the earlier question's words its best passage also holds ("Russia")."""
    top = _top(alone)
    borrowed = _as_written(tuple(dict.fromkeys(w for w in earlier_words
                                               if _coverage(top, retriever.query(w, language), language) > 0)), earlier)
    if not borrowed:  # its best passage shares nothing with the earlier question: "and for Flanders?" is no new
        return None  # subject but a place to ask the earlier question about
    if borrowed:
        query = " ".join([text, *borrowed])
        [ranking] = retriever.search_many([query], language, limit)
        if _coverage(_top(ranking), wanted, language) >= _coverage(top, wanted, language):
            return Reading(NEW_SUBJECT, query, own, borrowed, _holding(ranking, wanted, language))
    return Reading(NEW_SUBJECT, text, own, (), _holding(alone, wanted, language))


def _holding(ranking: Ranking, wanted: Query, language: str) -> Ranking:
    """The ranking without the passages holding less than half as much of the wanted words as the one holding most:
    a short follow-up alone comes close to much, and the official text would otherwise be preferred."""
    covered = [(_coverage(h.passage, wanted, language), h) for h in ranking.hits]
    most = max((c for c, _ in covered), default=0.0)
    return Ranking([h for c, h in covered if c >= most / 2], ranking.evidence, ranking.confidence)


def _as_written(found: tuple[str, ...], text: str) -> tuple[str, ...]:
    """Words as the asker wrote them (content_words folds case): "PhD", "Russia"."""
    spelled = [re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE) for w in found]
    return tuple(m.group(0) if m else w for m, w in zip(spelled, found))


def _top(ranking: Ranking) -> Passage | None:
    return ranking.hits[0].passage if ranking.hits else None


def _coverage(passage: Passage | None, wanted: Query, language: str) -> float:
    """The share of the wanted words' weight a passage holds (its text, heading, translation or phrasings)."""
    if passage is None or not wanted.words:
        return 0.0
    bag: set[str] = set()
    for text, lang in [(passage.text, "en"), (passage.heading, "en"), (passage.translations.get(language, ""), language),
                       *((q, language) for q in passage.questions)]:
        bag.update(terms(text, lang))
    got = 0.0
    for word, weight in zip(wanted.words, wanted.weights):
        options = {stem(word, language), stem(word, "en")}  # as written: a synonym rule's wide net would hold anything
        if any(o in bag or (len(o) >= MIN_PREFIX and any(b.startswith(o) or o.startswith(b) for b in bag if len(b) >= MIN_PREFIX))
               for o in options):
            got += weight
    return got / sum(wanted.weights)
