"""Question -> ranked passages, and how sure we are that the best of them answers.

Each passage is described by a few signals: the multilingual model's similarity of the question to the
passage, to its best sentence and to any unit attached to it (translation, researcher question); an
English-only model's similarity to the passage's own text (English questions) and to any of its units
(every language, calibrated per language); and the share of the question's words the passage contains.
A linear score ranks passages; a logistic model of the top passage's signals says whether the guidance
answers at all. Both were fitted on tuning questions by bench/tune_retrieval.py (advisor/tuning.json).

A version of more than Settings.exact_search_units units is not scored whole: only its candidates are, the
passages of the units the store's own nearest-neighbour index (Chroma's HNSW) finds nearest to the question
and the passages holding most of its words (bench/scale_bench.py measured where that starts to pay).
"""
from __future__ import annotations

import bisect
import json
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np

from .embeddings import Embedder
from .errors import StoreError
from .passages import Passage, UnitKind
from .settings import Settings
from .store import Snapshot
from .synonyms import SynonymIndex, parse
from .text import STEMMER_NAMES, content_words, sentence_spans, stem, terms, word_weight

CALIBRATION_EXEMPT = "en"  # the language an English-only model was trained on
EXACT_SEARCH_UNITS: int = Settings.model_fields["exact_search_units"].default  # beyond it only candidates are scored
CANDIDATE_UNITS: int = Settings.model_fields["candidate_units"].default  # nearest units asked of the store's index
LEXICAL_CANDIDATES = 30  # and how many passages with the most of the question's words join them
INDEX_PAUSE_SECONDS = 30.0  # after the index failed, how long questions are scored whole before it is asked again
MIN_PREFIX = 5  # "react" matches "reaction": stems this long match the words they begin
TUNING_FILE = Path(__file__).with_name("tuning.json")
log = logging.getLogger(__name__)

# What describes a passage for one question (columns of Retriever.features).
FEATURES = ("ml_passage", "ml_sentence", "ml_any", "en_doc", "en_any", "lexical")
# What describes the best passage for the decision "covered or not" (Ranking.evidence).
EVIDENCE = ("ml_any", "ml_sentence", "en_doc", "attached", "is_en", "is_fr")


@dataclass(frozen=True)
class Tuning:
    """Weights of the passage score and of the covered-or-not decision, as fitted for one set of models."""

    rank: dict[str, float]
    evidence: dict[str, float] = dataclass_field(default_factory=dict)
    intercept: float = 0.0
    threshold: float = 0.5  # below it the guidance is taken to be silent
    confident: float = 0.75  # below it a quote is shown as a weak match
    confident_by_language: dict[str, float] = dataclass_field(default_factory=dict)  # the same, where fitted per language

    @classmethod
    def for_models(cls, models: list[str], path: Path = TUNING_FILE) -> Tuning | None:
        """The fitted tuning for exactly these models, or None (then a plain similarity threshold decides)."""
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        entry = table.get("+".join(models))
        if not entry:
            return None
        return cls(entry["rank"], entry.get("evidence", {}), entry.get("intercept", 0.0),
                   entry.get("threshold", 0.5), entry.get("confident", 0.75), entry.get("confident_by_language", {}))


# Without a fitted tuning (another model): meaning first, a quarter lexical.
DEFAULT_RANK = {"ml_passage": 0.25, "ml_sentence": 0.15, "ml_any": 0.35, "en_doc": 0.0, "en_any": 0.0, "lexical": 0.25}


def is_multilingual(model_id: str) -> bool:
    lowered = model_id.lower()
    return any(key in lowered for key in ("multilingual", "labse", "-m3", "paraphrase-xlm"))


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    dense: float  # the multilingual model's similarity of the best unit, rescaled (about 0..1; below 0 for unrelated text)
    lexical: float
    sentence: int  # index of the key sentence in passage.sentences


@dataclass(frozen=True)
class Ranking:
    """The best passages for one question, and the evidence that the first of them answers it."""

    hits: list[Hit]
    evidence: dict[str, float]
    confidence: float  # 0..1: how likely the guidance answers (a probability when a tuning is fitted)


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...]  # the question's content words, as written
    expansions: dict[str, tuple[str, ...]]  # content word -> phrases its synonym rules add
    weights: tuple[float, ...] = ()  # per word: how much finding it says (advisor.text.word_weight)


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
class _Matched:
    """Per passage, the language whose words of the question it holds best, and those words' alternatives."""

    field: np.ndarray  # per passage: its entry in `options`, -1 for none
    options: list[tuple[str, list[set[str]]]]

    def __getitem__(self, passage: int) -> tuple[str, list[set[str]]] | None:
        entry = int(self.field[passage])
        return self.options[entry] if entry >= 0 else None


@dataclass(frozen=True)
class Features:
    """One question's signals: a line per passage scored, and what the ranking needs to explain itself."""

    table: np.ndarray  # lines x FEATURES
    query: Query
    matched: _Matched  # per passage: the field (language) whose words it matched best
    unit_sims: np.ndarray  # the multilingual similarity of every unit of the version (0 where not scored)
    rows: np.ndarray | None = None  # each line's passage index; None: a line for every passage, in order

    def passage(self, line: int) -> int:
        return int(self.rows[line]) if self.rows is not None else line


class Retriever:
    """Scores the passages of one knowledge version (all of them, or a large version's candidates); built once
    per version, then read-only but for the record of the store's index being out of reach."""

    def __init__(self, snapshot: Snapshot, embedder: Embedder, tuning: Tuning | None = None,
                 min_relevance: float = 0.35, exact_search_units: int = EXACT_SEARCH_UNITS,
                 candidate_units: int = CANDIDATE_UNITS) -> None:
        self.snapshot = snapshot
        # Up to `exact_search_units` units every unit is scored; beyond, only the passages of the store index's
        # `candidate_units` nearest units and the best lexical matches (bench/scale_bench.py measured the crossover).
        self.exact_search_units = exact_search_units
        self.candidate_units = candidate_units
        self.embedder = embedder
        self.model_ids = [p.model_id for p in (getattr(embedder, "parts", None) or [embedder])]
        self.tuning = tuning or Tuning.for_models(self.model_ids)
        self.min_relevance = min_relevance  # used only without a fitted tuning
        rank = self.tuning.rank if self.tuning else DEFAULT_RANK
        self.rank_weights = np.array([rank.get(name, 0.0) for name in FEATURES], dtype=np.float32)
        self.synonyms = SynonymIndex(parse(snapshot.info.synonyms))
        self.passages = list(snapshot.passages.values())
        index = {p.id: i for i, p in enumerate(self.passages)}
        self.unit_passage = np.array([index[u.passage_id] for u in snapshot.units], dtype=np.int64)
        self.unit_index = {u.id: k for k, u in enumerate(snapshot.units)}
        by_passage = np.argsort(self.unit_passage, kind="stable")  # each passage's units, one slice each
        bounds = np.searchsorted(self.unit_passage[by_passage], np.arange(len(self.passages) + 1))
        self.passage_units = [by_passage[bounds[i]:bounds[i + 1]] for i in range(len(self.passages))]
        unit_languages = np.array([u.language for u in snapshot.units])
        self.language_masks = {lang: unit_languages == lang for lang in sorted(set(unit_languages))}
        # each language's mean unit vector: its similarity floor when only candidates are scored (_calibrate)
        self.language_means = {lang: mask.astype(np.float32) @ snapshot.vectors / max(1, int(mask.sum()))
                               for lang, mask in self.language_masks.items()}
        self._index_down_until = 0.0  # monotonic time before which the store's index is not asked
        kinds = np.array([UnitKind(u.kind).value for u in snapshot.units])
        # passages that carry curated aids (translations, researchers' questions): their similarities run higher
        self.attached = np.zeros(len(self.passages), dtype=bool)
        self.attached[self.unit_passage[np.isin(kinds, (UnitKind.TRANSLATION.value, UnitKind.QUESTION.value))]] = True
        self.kind_masks = {"passage": kinds == UnitKind.PASSAGE.value, "sentence": kinds == UnitKind.SENTENCE.value,
                           "any": np.ones(len(kinds), bool)}
        self.sentence_unit: dict[tuple[int, int], int] = {}
        for k, unit in enumerate(snapshot.units):
            if unit.kind is UnitKind.SENTENCE:
                p = index[unit.passage_id]
                span = (unit.metadata["start"], unit.metadata["end"])
                self.sentence_unit[(p, self.passages[p].sentences.index(span))] = k
        doc_language = [snapshot.documents[p.document].language for p in self.passages]
        asked: dict[tuple[int, str], list[str]] = defaultdict(list)
        for unit in snapshot.units:
            if unit.kind is UnitKind.QUESTION:
                asked[(index[unit.passage_id], unit.language)].append(unit.text)
        languages = sorted(set(doc_language) | {lang for p in self.passages for lang in p.translations}
                           | {lang for _, lang in asked})
        self.fields: dict[str, _Field] = {}
        for lang in (lang for lang in languages if lang in STEMMER_NAMES):
            texts, sentences = [], []
            for i, (passage, own) in enumerate(zip(self.passages, doc_language)):
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
            self.fields[lang] = _Field(lang, texts, sentences)
        for lang in STEMMER_NAMES:  # load the word-frequency lists now, with the version, not on a first question
            word_weight("the", lang)

    @property
    def _large(self) -> bool:
        """Too many units to score them all for every question: candidates from the store's index instead."""
        return len(self.snapshot.units) > self.exact_search_units

    @property
    def threshold(self) -> float:
        """Confidence below which the guidance is taken to be silent."""
        return self.tuning.threshold if self.tuning and self.tuning.evidence else 0.5

    def confident(self, language: str) -> float:
        """Confidence below which a quote is shown as a weak match: where the first quote of questions in this
        language stops being right four times in five (the covered-or-not probability runs lower for French and
        Dutch, whose questions meet English text)."""
        if not self.tuning or not self.tuning.evidence:
            return 0.0
        return self.tuning.confident_by_language.get(language, self.tuning.confident)

    def query(self, question: str, language: str) -> Query:
        found = self.synonyms.expand(question)
        expansions: dict[str, tuple[str, ...]] = {}
        content = tuple(dict.fromkeys(content_words(question, language)))
        for word in content:
            key = stem(word, "en")
            phrases = [p for trigger, ps in found.items() if key in trigger for p in ps]
            if phrases:
                expansions[word] = tuple(dict.fromkeys(phrases))
        return Query(content, expansions, tuple(word_weight(w.lower(), language) for w in content))

    def search(self, question: str, language: str, limit: int = 5) -> Ranking:
        """The `limit` best passages, best first, each with its key sentence, and the confidence that they answer."""
        return self.search_many([question], language, limit)[0]

    def search_many(self, questions: list[str], language: str, limit: int = 5) -> list[Ranking]:
        """`search` for several questions (the parts of one), with one forward pass of each model for all."""
        if not self.passages:
            return [Ranking([], {}, 0.0) for _ in questions]
        vectors = self.embedder.embed(questions, query=True)
        return [self._rank(q, language, v, limit) for q, v in zip(questions, vectors)]

    def features(self, question: str, language: str, vector: np.ndarray, candidates_only: bool = False) -> Features:
        """The signals of every passage for one question; with `candidates_only`, in a version larger than
        `exact_search_units`, of its candidates only (then `Features.rows` names each line's passage)."""
        query = self.query(question, language)
        lexical_all, matched = self._coverage(query)
        rows = self._candidates(vector, language, lexical_all) if candidates_only else None
        units = np.concatenate([self.passage_units[r] for r in rows]) if rows is not None else None
        # each unit's line in the table: its passage's place among the rows scored
        owner = np.searchsorted(rows, self.unit_passage[units]) if rows is not None else self.unit_passage
        count = len(rows) if rows is not None else len(self.passages)
        kinds = {k: (m[units] if units is not None else m) for k, m in self.kind_masks.items()}
        per_model = self._similarities(vector, units)
        multilingual = [k for k, m in enumerate(self.model_ids) if is_multilingual(m)]
        english = [k for k, m in enumerate(self.model_ids) if not is_multilingual(m)]
        if not multilingual:  # one English-only model: it stands in for the multilingual one
            multilingual, english = english, []

        unit_sims = per_model[multilingual].mean(axis=0)
        english_sims = per_model[english].mean(axis=0) if english else None

        def best(sims: np.ndarray | None, kind: str) -> np.ndarray:
            """Each passage's best unit of this kind (NaN where it has none)."""
            if sims is None:
                return np.zeros(count, dtype=np.float32)
            out = np.full(count, np.nan, dtype=np.float32)
            idx = np.flatnonzero(kinds[kind])
            order = idx[np.argsort(sims[idx], kind="stable")]  # ascending: the last write per passage wins
            out[owner[order]] = sims[order]
            return out

        passage = np.nan_to_num(best(unit_sims, "passage"))
        sentence = np.fmax(passage, best(unit_sims, "sentence"))
        anything = np.nan_to_num(best(unit_sims, "any"))
        en_any = np.nan_to_num(best(english_sims, "any"))
        en_doc = (np.fmax(np.nan_to_num(best(english_sims, "passage")), best(english_sims, "sentence"))
                  if language == "en" else np.zeros_like(passage))
        lexical = lexical_all[rows] if rows is not None else lexical_all
        table = np.stack([passage, sentence, anything, en_doc, en_any, lexical], axis=1)
        if rows is None:
            return Features(table, query, matched, unit_sims)
        full_sims = np.zeros(len(self.snapshot.units), dtype=np.float32)  # for the key sentence of a candidate
        full_sims[units] = unit_sims
        return Features(table, query, matched, full_sims, rows)

    def _candidates(self, vector: np.ndarray, language: str, lexical: np.ndarray) -> np.ndarray | None:
        """The passages worth scoring in a large version (sorted indices), or None to score every passage."""
        nearest = self.snapshot.nearest
        if nearest is None or not self._large or time.monotonic() < self._index_down_until:
            return None
        probe = vector.copy()
        dims = getattr(self.embedder, "dims", None) or (vector.shape[0],)
        if language != "en" and any(is_multilingual(m) for m in self.model_ids):
            offset = 0  # an English-only model says little about other languages: ask by the multilingual one alone
            for model, dim in zip(self.model_ids, dims):
                if not is_multilingual(model):
                    probe[offset:offset + dim] = 0.0
                offset += dim
        try:
            ids = nearest(probe, min(self.candidate_units, len(self.snapshot.units)))
        except StoreError as exc:  # out of reach (a server that went away): the version in memory answers meanwhile
            self._index_down_until = time.monotonic() + INDEX_PAUSE_SECONDS
            log.warning("%s Every passage is scored for the next %.0f s.", exc, INDEX_PAUSE_SECONDS)
            return None
        known = [self.unit_index[i] for i in ids if i in self.unit_index]
        if len(known) < len(ids):
            log.warning("the index of version %s named %d units the version does not hold",
                        self.snapshot.info.id, len(ids) - len(known))
        found = {int(self.unit_passage[k]) for k in known}
        lexical_best = np.argsort(-lexical, kind="stable")[:LEXICAL_CANDIDATES]
        found.update(int(i) for i in lexical_best if lexical[i] > 0)
        if not found:
            log.warning("no candidates for a question in version %s: every passage is scored", self.snapshot.info.id)
            return None
        return np.array(sorted(found), dtype=np.int64)

    def _rank(self, question: str, language: str, vector: np.ndarray, limit: int) -> Ranking:
        found = self.features(question, language, vector, candidates_only=True)
        table = found.table
        scores = table @ self.rank_weights
        top = np.argsort(-scores, kind="stable")[:limit]
        hits = [Hit(self.passages[found.passage(i)], float(scores[i]), float(table[i, 2]), float(table[i, 5]),
                    self._key_sentence(found.passage(i), found.matched, found.unit_sims)) for i in top]
        evidence = self._evidence(table, scores, top, language, found.passage(int(top[0])))
        return Ranking(hits, evidence, self._confidence(evidence))

    def _evidence(self, table: np.ndarray, scores: np.ndarray, top: np.ndarray, language: str,
                  passage: int) -> dict[str, float]:
        """The best passage's signals that the covered-or-not decision reads (EVIDENCE), and its score.

        Lexical coverage and the margin to the next passage are left out on purpose: both depend on how many
        documents the knowledge holds and on its curated synonyms, and the decision must hold as well for a
        single document an admin drops in."""
        first = int(top[0])
        column = dict(zip(FEATURES, table[first]))
        return {
            "score": float(scores[first]),
            "ml_any": float(column["ml_any"]), "ml_sentence": float(column["ml_sentence"]),
            "en_doc": float(column["en_doc"]), "attached": float(self.attached[passage]),
            "is_en": float(language == "en"), "is_fr": float(language == "fr"),
        }

    def _confidence(self, evidence: dict[str, float]) -> float:
        if not self.tuning or not self.tuning.evidence:
            return float(evidence["score"] >= self.min_relevance)
        z = self.tuning.intercept + sum(w * evidence.get(name, 0.0) for name, w in self.tuning.evidence.items())
        return float(1 / (1 + math.exp(-z)))

    def _similarities(self, vector: np.ndarray, units: np.ndarray | None = None) -> np.ndarray:
        """One row per model: the question's similarity to every unit (or to `units`), on a common 0..1 scale."""
        dims = getattr(self.embedder, "dims", None) or (vector.shape[0],)
        if sum(dims) != vector.shape[0] or self.snapshot.vectors.shape[1] != vector.shape[0]:
            raise StoreError(
                f"Knowledge version {self.snapshot.info.id} holds vectors of {self.snapshot.vectors.shape[1]} numbers, "
                f"but the configured models ({self.embedder.model_id}) give {vector.shape[0]}: "
                "run `advisor ingest --force` to rebuild it.")
        matrix = self.snapshot.vectors if units is None else self.snapshot.vectors[units]
        rows, offset = [], 0
        for model, dim in zip(self.model_ids, dims):
            part = slice(offset, offset + dim)
            sims = matrix[:, part] @ vector[part]
            offset += dim
            if not is_multilingual(model):
                masks = {lang: mask if units is None else mask[units] for lang, mask in self.language_masks.items()
                         if lang != CALIBRATION_EXEMPT}
                # the floor is the mean similarity to the language's units; for candidates (only some of them),
                # the similarity to their mean vector, which is the same number
                if units is None:
                    floors = {lang: float(sims[mask].mean()) for lang, mask in masks.items()}
                else:
                    floors = {lang: float(self.language_means[lang][part] @ vector[part]) for lang in masks}
                sims = _calibrate(sims, masks, floors)
            rows.append(_rescale(model, sims))
        return np.stack(rows)

    def _coverage(self, query: Query) -> tuple[np.ndarray, _Matched]:
        """Share of the question's weight whose words, or their synonyms, the passage contains."""
        best = np.zeros(len(self.passages), dtype=np.float32)
        matched = _Matched(np.full(len(self.passages), -1, dtype=np.int16), [])
        if not query.words:
            return best, matched
        for lang, field in self.fields.items():
            options = [field.alternatives(w, query.expansions.get(w, ())) for w in query.words]
            total = sum(query.weights)
            got = np.zeros(len(self.passages), dtype=np.float32)
            for alternatives, weight in zip(options, query.weights):
                hit = np.zeros(len(self.passages), dtype=bool)
                for term in alternatives:
                    hit[field.postings[term]] = True
                got += weight * hit
            got /= total
            better = got > best
            best = np.where(better, got, best)
            matched.field[better] = len(matched.options)
            matched.options.append((lang, options))
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
            score = 0.75 * dense + 0.25 * lexical
            if score > best_score:
                best, best_score = i, score
        return best


def _calibrate(sims: np.ndarray, masks: dict[str, np.ndarray], floors: dict[str, float]) -> np.ndarray:
    """Put each language's similarities on the same floor (for English-only models).

    An English model still embeds French and Dutch, but any two texts in those languages look alike to it:
    the floor is the question's mean similarity to the units of that language, which tells nothing about
    relevance, so it is subtracted (and the rest rescaled to 0..1).
    """
    out = sims.copy()
    for language, mask in masks.items():
        floor = floors[language]
        if floor > 0:
            out[mask] = (sims[mask] - floor) / (1 - floor)
    return out


# Where a model's similarities lie: e5 models put unrelated texts near 0.7, MiniLM near 0.
_SCALES = {"e5": (0.70, 1.0)}


def _rescale(model: str, sims: np.ndarray) -> np.ndarray:
    low, high = next((scale for key, scale in _SCALES.items() if key in model.lower()), (0.0, 1.0))
    return (sims - low) / (high - low) if low else sims
