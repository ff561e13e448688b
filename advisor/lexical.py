"""The lexical index of one knowledge version: which passages hold a question's words, or their synonyms, in any
language the version has text in (a passage's own text, its translation, the researchers' questions attached to it).
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .passages import Passage, UnitKind
from .store import Snapshot
from .synonyms import SynonymIndex, parse
from .text import STEMMER_NAMES, content_words, sentence_spans, stem, term_set, terms, word_weight

MIN_PREFIX = 5  # "react" matches "reaction": stems this long match the words they begin


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]  # the question's content words, as written
    expansions: dict[str, tuple[str, ...]]  # content word -> phrases its synonym rules add
    weights: tuple[float, ...] = ()  # per word: how much finding it says (advisor.text.word_weight)


class Field:
    """The lexical view of every passage in one language: its own text, or its translation."""

    def __init__(self, language: str, texts: list[str], sentences: list[list[str]]) -> None:
        self.language = language
        self.bags = [term_set(t, language) for t in texts]
        self.sentence_bags = [[term_set(s, language) for s in parts] for parts in sentences]
        postings: dict[str, list[int]] = defaultdict(list)
        for i, bag in enumerate(self.bags):
            for term in bag:
                postings[term].append(i)
        self.postings = {t: np.array(ix, dtype=np.int64) for t, ix in postings.items()}
        self.vocabulary = sorted(self.postings)

    def alternatives(self, word: str, expansions: tuple[str, ...]) -> set[str]:
        """The vocabulary terms that count as this word here."""
        own = stem(word, self.language)
        wanted = {own} | {t for phrase in expansions for t in terms(phrase, self.language)}
        found = set()
        for term in wanted:
            if term in self.postings:
                found.add(term)
            if len(term) >= MIN_PREFIX:
                at = bisect.bisect_left(self.vocabulary, term)
                while at < len(self.vocabulary) and self.vocabulary[at].startswith(term):
                    found.add(self.vocabulary[at])
                    at += 1
                found.update(term[:k] for k in range(MIN_PREFIX, len(term)) if term[:k] in self.postings)
        return found


@dataclass(frozen=True)
class Matched:
    """Per passage, the language whose words of the question it holds best, and those words' alternatives."""

    field: np.ndarray  # per passage: its entry in `options`, -1 for none
    options: list[tuple[str, list[set[str]]]]

    def __getitem__(self, passage: int) -> tuple[str, list[set[str]]] | None:
        entry = int(self.field[passage])
        return self.options[entry] if entry >= 0 else None


class LexicalIndex:
    """Every passage's words per language, for `coverage`; built once per version, then read-only."""

    def __init__(self, snapshot: Snapshot, passages: list[Passage]) -> None:
        self.count = len(passages)
        self.synonyms = SynonymIndex(parse(snapshot.info.synonyms))
        index = {p.id: i for i, p in enumerate(passages)}
        doc_language = [snapshot.documents[p.document].language for p in passages]
        asked: dict[tuple[int, str], list[str]] = defaultdict(list)
        for unit in snapshot.units:
            if unit.kind is UnitKind.QUESTION:
                asked[(index[unit.passage_id], unit.language)].append(unit.text)
        languages = sorted(set(doc_language) | {lang for p in passages for lang in p.translations}
                           | {lang for _, lang in asked})
        self.fields: dict[str, Field] = {}
        for lang in (lang for lang in languages if lang in STEMMER_NAMES):
            texts, sentences = [], []
            for i, (passage, own) in enumerate(zip(passages, doc_language)):
                questions = " ".join(asked.get((i, lang), ()))
                if own == lang:
                    texts.append(f"{passage.heading} {passage.text} {questions}")
                    sentences.append([passage.text[s:e] for s, e in passage.sentences])
                elif passage.translations.get(lang):
                    text = passage.translations[lang]
                    parts = [text[s:e] for s, e in sentence_spans(text)]
                    texts.append(f"{text} {questions}")
                    sentences.append(parts if len(parts) == len(passage.sentences) else [])
                else:
                    texts.append(questions)
                    sentences.append([])
            self.fields[lang] = Field(lang, texts, sentences)
        for lang in STEMMER_NAMES:  # load the word-frequency lists now, with the version, not on a first question
            word_weight("the", lang)

    def query(self, question: str, language: str) -> Query:
        """The question's content words, each with its weight and the phrases its synonym rules add."""
        found = self.synonyms.expand(question)
        expansions: dict[str, tuple[str, ...]] = {}
        content = tuple(dict.fromkeys(content_words(question, language)))
        for word in content:
            key = stem(word, "en")
            phrases = [p for trigger, ps in found.items() if key in trigger for p in ps]
            if phrases:
                expansions[word] = tuple(dict.fromkeys(phrases))
        return Query(content, expansions, tuple(word_weight(w.lower(), language) for w in content))

    def coverage(self, query: Query) -> tuple[np.ndarray, Matched]:
        """Per passage, the share of the question's weight whose words, or their synonyms, it contains (in its best
        language), and which language that was."""
        best = np.zeros(self.count, dtype=np.float32)
        matched = Matched(np.full(self.count, -1, dtype=np.int16), [])
        if not query.words:
            return best, matched
        for lang, field in self.fields.items():
            options = [field.alternatives(w, query.expansions.get(w, ())) for w in query.words]
            total = sum(query.weights)
            got = np.zeros(self.count, dtype=np.float32)
            for alternatives, weight in zip(options, query.weights):
                hit = np.zeros(self.count, dtype=bool)
                for term in alternatives:
                    hit[field.postings[term]] = True
                got += weight * hit
            got /= total
            better = got > best
            best = np.where(better, got, best)
            matched.field[better] = len(matched.options)
            matched.options.append((lang, options))
        return best, matched

    def sentence_share(self, passage: int, matched: Matched) -> list[float]:
        """Per sentence of the passage, the share of the question's words it holds (in the passage's best language);
        empty when the passage matched no word or its sentences are not known in that language."""
        found = matched[passage]
        if not found:
            return []
        lang, options = found
        bags = self.fields[lang].sentence_bags[passage]
        if not bags or not options:
            return []
        return [sum(1 for alts in options if not alts.isdisjoint(bag)) / len(options) for bag in bags]
