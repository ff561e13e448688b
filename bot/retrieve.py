"""Question -> ranked passages: dense similarity of the best sentence, plus how much of the question the passage covers."""
from __future__ import annotations

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .embeddings import Embedder
from .models import Passage
from .store import Snapshot
from .synonyms import SynonymIndex, parse
from .text import STEMMER_NAMES, content_words, sentence_spans, stem, terms

DENSE_WEIGHT = 0.6  # the rest is lexical coverage
MIN_PREFIX = 5
CALIBRATION_EXEMPT = "en"  # the language the embedding model was trained on  # "react" matches "reaction": stems this long match the words they begin


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    dense: float
    lexical: float
    sentence: int  # index of the key sentence in passage.sentences


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]  # the question's content words, as written
    expansions: dict[str, tuple[str, ...]]  # content word -> phrases its synonym rules add


class _Field:
    """The lexical view of every passage in one language: its own text, or its translation."""

    def __init__(self, language: str, texts: list[str], sentences: list[list[str]]) -> None:
        self.language = language
        self.bags = [set(terms(t, language)) if t else set() for t in texts]
        self.sentence_bags = [[set(terms(s, language)) for s in parts] for parts in sentences]
        postings: dict[str, list[int]] = defaultdict(list)
        for i, bag in enumerate(self.bags):
            for term in bag:
                postings[term].append(i)
        self.postings = {t: np.array(ix, dtype=np.int64) for t, ix in postings.items()}
        self.vocabulary = sorted(self.postings)
        n = max(1, sum(1 for bag in self.bags if bag))
        self.idf = {t: math.log(1 + n / (len(ix) + 0.5)) for t, ix in self.postings.items()}
        self.unknown_idf = math.log(1 + n / 1.5)  # an unknown word weighs as much as the rarest known one

    def alternatives(self, word: str, expansions: tuple[str, ...]) -> tuple[set[str], float]:
        """The vocabulary terms that count as this word here, and the word's weight."""
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
        if own in self.idf:
            weight = self.idf[own]
        elif found:
            weight = sum(self.idf[t] for t in found) / len(found)
        else:
            weight = self.unknown_idf
        return found, weight


class Retriever:
    """Scores every passage of one knowledge version; built once per version, then read-only."""

    def __init__(self, snapshot: Snapshot, embedder: Embedder) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.synonyms = SynonymIndex(parse(snapshot.info.synonyms))
        self.passages = list(snapshot.passages.values())
        index = {p.id: i for i, p in enumerate(self.passages)}
        self.unit_passage = np.array([index[u.passage_id] for u in snapshot.units], dtype=np.int64)
        unit_languages = np.array([u.language for u in snapshot.units])
        self.language_masks = {lang: unit_languages == lang for lang in sorted(set(unit_languages))}
        self.sentence_unit: dict[tuple[int, int], int] = {}
        for k, unit in enumerate(snapshot.units):
            if unit.kind == "sentence":
                p = index[unit.passage_id]
                span = (unit.metadata["start"], unit.metadata["end"])
                self.sentence_unit[(p, self.passages[p].sentences.index(span))] = k
        doc_language = [snapshot.documents[p.document].language for p in self.passages]
        asked: dict[tuple[int, str], list[str]] = defaultdict(list)
        for unit in snapshot.units:
            if unit.kind == "question":
                asked[(index[unit.passage_id], unit.language)].append(unit.text)
        languages = sorted(set(doc_language) | {lang for p in self.passages for lang in p.translations}
                           | {lang for _, lang in asked})
        self.fields: dict[str, _Field] = {}
        for lang in (lang for lang in languages if lang in STEMMER_NAMES):
            texts, sentences = [], []
            for i, (p, own) in enumerate(zip(self.passages, doc_language)):
                questions = " ".join(asked.get((i, lang), ()))
                if own == lang:
                    texts.append(f"{p.heading} {p.text} {questions}")
                    sentences.append([p.text[s:e] for s, e in p.sentences])
                elif p.translations.get(lang):
                    text = p.translations[lang]
                    parts = [text[s:e] for s, e in sentence_spans(text)]
                    texts.append(f"{text} {questions}")
                    sentences.append(parts if len(parts) == len(p.sentences) else [])
                else:
                    texts.append(questions)
                    sentences.append([])
            self.fields[lang] = _Field(lang, texts, sentences)

    def query(self, question: str, language: str) -> Query:
        found = self.synonyms.expand(question)
        expansions: dict[str, tuple[str, ...]] = {}
        content = tuple(dict.fromkeys(content_words(question, language)))
        for word in content:
            key = stem(word, "en")
            phrases = [p for trigger, ps in found.items() if key in trigger for p in ps]
            if phrases:
                expansions[word] = tuple(dict.fromkeys(phrases))
        return Query(content, expansions)

    def search(self, question: str, language: str, limit: int = 5) -> list[Hit]:
        """The `limit` best passages, best first, each with its key sentence."""
        if not self.passages:
            return []
        query = self.query(question, language)
        # Synonyms widen the lexical match only: embedding an expanded question as well cost a second
        # forward pass per question and did not improve the checks.
        sims = self.snapshot.vectors @ self.embedder.embed([question])[0]  # matrix-vector: cheaper than a threaded matmul
        sims = self._calibrate(sims)
        dense = np.full(len(self.passages), -1.0, dtype=np.float32)
        np.maximum.at(dense, self.unit_passage, sims)
        lexical, matched = self._coverage(query)
        scores = DENSE_WEIGHT * np.clip(dense, 0, 1) + (1 - DENSE_WEIGHT) * lexical
        order = np.argsort(-scores, kind="stable")[:limit]
        return [
            Hit(self.passages[i], float(scores[i]), float(dense[i]), float(lexical[i]),
                self._key_sentence(int(i), matched, sims))
            for i in order
        ]

    def _calibrate(self, sims: np.ndarray) -> np.ndarray:
        """Put each language's similarities on the same floor.

        An English model still embeds French and Dutch, but any two texts in those languages look
        alike to it: the floor is the question's mean similarity to the units of that language,
        which tells nothing about relevance, so it is subtracted (and the rest rescaled to 0..1).
        """
        out = sims.copy()
        for language, mask in self.language_masks.items():
            if language == CALIBRATION_EXEMPT:
                continue
            floor = float(sims[mask].mean())
            if floor > 0:
                out[mask] = (sims[mask] - floor) / (1 - floor)
        return out

    def _coverage(self, query: Query) -> tuple[np.ndarray, list[tuple[str, list[set[str]]] | None]]:
        """Share of the question's weight (IDF) whose words, or their synonyms, the passage contains."""
        best = np.zeros(len(self.passages), dtype=np.float32)
        matched: list[tuple[str, list[set[str]]] | None] = [None] * len(self.passages)
        if not query.words:
            return best, matched
        for lang, field in self.fields.items():
            options = [field.alternatives(w, query.expansions.get(w, ())) for w in query.words]
            total = sum(weight for _, weight in options)
            got = np.zeros(len(self.passages), dtype=np.float32)
            for alternatives, weight in options:
                hit = np.zeros(len(self.passages), dtype=bool)
                for term in alternatives:
                    hit[field.postings[term]] = True
                got += weight * hit
            got /= total
            better = got > best
            best = np.where(better, got, best)
            for i in np.flatnonzero(better):
                matched[i] = (lang, [alts for alts, _ in options])
        return best, matched

    def _key_sentence(self, p: int, matched, sims: np.ndarray) -> int:
        """The sentence that answers: its own dense similarity plus the question words it holds."""
        passage = self.passages[p]
        if len(passage.sentences) <= 1:
            return 0
        bags: list[set[str]] = []
        options: list[set[str]] = []
        if matched[p]:
            lang, options = matched[p]
            bags = self.fields[lang].sentence_bags[p]
        best, best_score = 0, -1.0
        for i in range(len(passage.sentences)):
            unit = self.sentence_unit.get((p, i))
            dense = float(sims[unit]) if unit is not None else 0.0
            lexical = (sum(1 for alts in options if not alts.isdisjoint(bags[i])) / len(options)) if bags and options else 0.0
            score = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * lexical
            if score > best_score:
                best, best_score = i, score
        return best
