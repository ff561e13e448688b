"""Question -> ranked passages, and how sure we are that the best of them answers.

Each passage is described by a few signals: the multilingual model's similarity of the question to the
passage, to its best sentence and to any unit attached to it (translation, researcher question); an
English-only model's similarity to the passage's own text (English questions) and to any of its units
(every language, calibrated per language); and the share of the question's words the passage contains.
A linear score ranks passages; a logistic model of the top passage's signals says whether the guidance
answers at all (decision.py). Both were fitted on tuning questions by bench/tune_retrieval.py (advisor/tuning.json).
The words a passage holds come from its lexical index (lexical.py).

A version of more than Settings.exact_search_units units is not scored whole: only its candidates are, the
passages of the units the store's own nearest-neighbour index (Chroma's HNSW) finds nearest to the question
and the passages holding most of its words (bench/scale_bench.py measured where that starts to pay).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from . import decision
from .embeddings import Embedder
from .errors import StoreError
from .gaps import GapMatch, is_known_gap
from .lexical import LexicalIndex, Matched, Query
from .passages import Passage, SentenceSpan, UnitKind
from .settings import default
from .store import Snapshot
from .tuning import DEFAULT_RANK, Tuning

CALIBRATION_EXEMPT = "en"  # the language an English-only model was trained on
LEXICAL_CANDIDATES = 30  # and how many passages with the most of the question's words join them
INDEX_PAUSE_SECONDS = 30.0  # after the index failed, how long questions are scored whole before it is asked again
log = logging.getLogger(__name__)

# What describes a passage for one question (columns of Retriever.features).
FEATURES = ("ml_passage", "ml_sentence", "ml_any", "en_doc", "en_any", "lexical")


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
class Features:
    """One question's signals: a line per passage scored, and what the ranking needs to explain itself."""

    table: np.ndarray  # lines x FEATURES
    query: Query
    matched: Matched  # per passage: the field (language) whose words it matched best
    unit_sims: np.ndarray  # the multilingual similarity of every unit of the version (0 where not scored)
    rows: np.ndarray | None = None  # each line's passage index; None: a line for every passage, in order

    def passage(self, line: int) -> int:
        return int(self.rows[line]) if self.rows is not None else line


class Retriever:
    """Scores the passages of one knowledge version (all of them, or a large version's candidates); built once
    per version, then read-only but for the record of the store's index being out of reach."""

    def __init__(self, snapshot: Snapshot, embedder: Embedder, tuning: Tuning | None = None,
                 min_relevance: float | None = None, exact_search_units: int | None = None,
                 candidate_units: int | None = None, gap_floor: float | None = None,
                 gap_margin: float | None = None, gap_margin_en: float | None = None) -> None:
        self.snapshot = snapshot
        # Up to `exact_search_units` units every unit is scored; beyond, only the passages of the store index's
        # `candidate_units` nearest units and the best lexical matches (bench/scale_bench.py measured the crossover).
        self.exact_search_units: int = default("exact_search_units") if exact_search_units is None else exact_search_units
        self.candidate_units: int = default("candidate_units") if candidate_units is None else candidate_units
        self.embedder = embedder
        self.models = list(embedder.parts)
        self.model_ids = [p.model_id for p in self.models]
        self.tuning = tuning or Tuning.for_models(self.model_ids)
        # used only without a fitted tuning
        self.min_relevance: float = default("min_relevance") if min_relevance is None else min_relevance
        rank = self.tuning.rank if self.tuning else DEFAULT_RANK
        self.rank_weights = np.array([rank.get(name, 0.0) for name in FEATURES], dtype=np.float32)
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
            if isinstance(unit.metadata, SentenceSpan):
                p = index[unit.passage_id]
                span = (unit.metadata.start, unit.metadata.end)
                self.sentence_unit[(p, self.passages[p].sentences.index(span))] = k
        self.lexical = LexicalIndex(snapshot, self.passages)
        # a question this near a known gap, and this much nearer to it than to the guidance, is the gap (gaps.py)
        self.gap_floor: float = default("gap_floor") if gap_floor is None else gap_floor
        self.gap_margin: float = default("gap_margin") if gap_margin is None else gap_margin
        self.gap_margin_en: float = default("gap_margin_en") if gap_margin_en is None else gap_margin_en

    @property
    def _large(self) -> bool:
        """Too many units to score them all for every question: candidates from the store's index instead."""
        return len(self.snapshot.units) > self.exact_search_units

    @property
    def threshold(self) -> float:
        """Confidence below which the guidance is taken to be silent."""
        return decision.threshold(self.tuning)

    def confident(self, language: str) -> float:
        """Confidence below which a quote is shown as a weak match (decision.confident)."""
        return decision.confident(self.tuning, language)

    def query(self, question: str, language: str) -> Query:
        return self.lexical.query(question, language)

    def search(self, question: str, language: str, limit: int = 5) -> Ranking:
        """The `limit` best passages, best first, each with its key sentence, and the confidence that they answer."""
        return self.search_many([question], language, limit)[0]

    def search_many(self, questions: list[str], language: str, limit: int = 5) -> list[Ranking]:
        """`search` for several questions (the parts of one), with one forward pass of each model for all."""
        if not self.passages:
            return [Ranking([], {}, 0.0) for _ in questions]
        vectors = self.embedder.embed(questions, query=True)
        return [self.rank(q, language, v, limit) for q, v in zip(questions, vectors)]

    def features(self, question: str, language: str, vector: np.ndarray, candidates_only: bool = False) -> Features:
        """The signals of every passage for one question; with `candidates_only`, in a version larger than
        `exact_search_units`, of its candidates only (then `Features.rows` names each line's passage)."""
        query = self.query(question, language)
        lexical_all, matched = self.lexical.coverage(query)
        rows = self._candidates(vector, language, lexical_all) if candidates_only else None
        units = np.concatenate([self.passage_units[r] for r in rows]) if rows is not None else None
        # each unit's line in the table: its passage's place among the rows scored
        owner = np.searchsorted(rows, self.unit_passage[units]) if rows is not None else self.unit_passage
        count = len(rows) if rows is not None else len(self.passages)
        kinds = {k: (m[units] if units is not None else m) for k, m in self.kind_masks.items()}
        per_model = self._similarities(vector, units)
        multilingual = [k for k, m in enumerate(self.models) if m.multilingual]
        english = [k for k, m in enumerate(self.models) if not m.multilingual]
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
        dims = self.embedder.dims or (vector.shape[0],)
        if language != "en" and any(m.multilingual for m in self.models):
            offset = 0  # an English-only model says little about other languages: ask by the multilingual one alone
            for model, dim in zip(self.models, dims):
                if not model.multilingual:
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

    def rank(self, question: str, language: str, vector: np.ndarray, limit: int = 5) -> Ranking:
        """`search` for a question already embedded (`vector`, as `embed(..., query=True)` gives it)."""
        found = self.features(question, language, vector, candidates_only=True)
        table = found.table
        scores = table @ self.rank_weights
        top = np.argsort(-scores, kind="stable")[:limit]
        hits = [Hit(self.passages[found.passage(i)], float(scores[i]), float(table[i, 2]), float(table[i, 5]),
                    self._key_sentence(found.passage(i), found.matched, found.unit_sims)) for i in top]
        first = int(top[0])
        evidence = decision.evidence(dict(zip(FEATURES, table[first])), scores[first], language,
                                     self.attached[found.passage(first)])
        evidence |= self._gap_evidence(vector, language, table)  # in the evidence, it stays with a follow-up's reading
        return Ranking(hits, evidence, decision.confidence(evidence, self.tuning, self.min_relevance))

    def _gap_evidence(self, vector: np.ndarray, language: str, table: np.ndarray) -> dict[str, float]:
        """The nearest known gap question and its similarity, beside the best similarity of anything the guidance
        holds, by the same models: the multilingual ones, and for an English question the English-only ones too."""
        gaps = self.snapshot.gap_vectors
        if gaps is None or not len(gaps):
            return {}
        dims = self.embedder.dims or (vector.shape[0],)
        multilingual = [m.multilingual for m in self.models]
        used = [m.multilingual or language == CALIBRATION_EXEMPT or not any(multilingual) for m in self.models]
        near, offset = [], 0
        for model, dim, use in zip(self.models, dims, used):
            if use:
                near.append(_rescale(model.unrelated_similarity, gaps[:, offset:offset + dim] @ vector[offset:offset + dim]))
            offset += dim
        similarity = np.mean(near, axis=0)
        columns = [FEATURES.index("ml_any")]  # the guidance's best unit by the same models
        if language == CALIBRATION_EXEMPT and any(multilingual) and not all(multilingual):
            columns.append(FEATURES.index("en_any"))
        nearest = int(np.argmax(similarity))
        return {"gap": float(nearest), "gap_similarity": float(similarity[nearest]),
                "guidance_similarity": float(np.mean([table[:, c].max() for c in columns]))}

    def nearest_gap(self, ranking: Ranking) -> GapMatch | None:
        """The known gap nearest to the question a ranking was made for, if the version has any."""
        if "gap" not in ranking.evidence:
            return None
        question = self.snapshot.gaps[int(ranking.evidence["gap"])]
        return GapMatch(question, ranking.evidence["gap_similarity"], ranking.evidence["guidance_similarity"])

    def known_gap(self, ranking: Ranking) -> GapMatch | None:
        """The known gap the question is, when it is nearer to one than to what the guidance answers (gaps.py)."""
        match = self.nearest_gap(ranking)
        margin = self.gap_margin_en if ranking.evidence.get("is_en") else self.gap_margin
        return match if is_known_gap(match, self.gap_floor, margin) else None

    def _similarities(self, vector: np.ndarray, units: np.ndarray | None = None) -> np.ndarray:
        """One row per model: the question's similarity to every unit (or to `units`), on a common 0..1 scale."""
        dims = self.embedder.dims or (vector.shape[0],)
        if sum(dims) != vector.shape[0] or self.snapshot.vectors.shape[1] != vector.shape[0]:
            raise StoreError(
                f"Knowledge version {self.snapshot.info.id} holds vectors of {self.snapshot.vectors.shape[1]} numbers, "
                f"but the configured models ({self.embedder.model_id}) give {vector.shape[0]}: "
                "run `advisor ingest --force` to rebuild it.")
        matrix = self.snapshot.vectors if units is None else self.snapshot.vectors[units]
        rows, offset = [], 0
        for model, dim in zip(self.models, dims):
            part = slice(offset, offset + dim)
            sims = matrix[:, part] @ vector[part]
            offset += dim
            if not model.multilingual:
                masks = {lang: mask if units is None else mask[units] for lang, mask in self.language_masks.items()
                         if lang != CALIBRATION_EXEMPT}
                # the floor is the mean similarity to the language's units; for candidates (only some of them),
                # the similarity to their mean vector, which is the same number
                if units is None:
                    floors = {lang: float(sims[mask].mean()) for lang, mask in masks.items()}
                else:
                    floors = {lang: float(self.language_means[lang][part] @ vector[part]) for lang in masks}
                sims = _calibrate(sims, masks, floors)
            rows.append(_rescale(model.unrelated_similarity, sims))
        return np.stack(rows)

    def _key_sentence(self, p: int, matched: Matched, sims: np.ndarray) -> int:
        """The sentence that answers: its own dense similarity plus the question words it holds."""
        passage = self.passages[p]
        if len(passage.sentences) <= 1:
            return 0
        shares = self.lexical.sentence_share(p, matched)
        best, best_score = 0, -1.0
        for i in range(len(passage.sentences)):
            unit = self.sentence_unit.get((p, i))
            dense = float(sims[unit]) if unit is not None else 0.0
            lexical = shares[i] if shares else 0.0
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


def _rescale(low: float, sims: np.ndarray) -> np.ndarray:
    """From where a model puts unrelated texts (e5 models near 0.7, MiniLM near 0) up to 1, onto 0..1."""
    return (sims - low) / (1.0 - low) if low else sims
