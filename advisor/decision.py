"""Covered or not: from the best passage's signals, how likely the guidance answers the question at all.

A logistic model of the evidence below, fitted by bench/tune_retrieval.py (advisor/tuning.json); without a fitted
tuning, the best passage's score against a plain threshold (Settings.min_relevance). The engine (retrieve.py),
the fit and the benches all call these functions.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from .tuning import Tuning

# What describes the best passage for the decision, in the order the fit reads them.
EVIDENCE = ("ml_any", "ml_sentence", "en_doc", "attached", "is_en", "is_fr")


def evidence(signals: Mapping[str, float], score: float, language: str, attached: bool) -> dict[str, float]:
    """The best passage's evidence (EVIDENCE, and its score) from its ranking signals (retrieve.FEATURES).

    Lexical coverage and the margin to the next passage are left out on purpose: both depend on how many
    documents the knowledge holds and on its curated synonyms, and the decision must hold as well for a
    single document an admin drops in."""
    return {
        "score": float(score),
        "ml_any": float(signals["ml_any"]), "ml_sentence": float(signals["ml_sentence"]),
        "en_doc": float(signals["en_doc"]), "attached": float(attached),
        "is_en": float(language == "en"), "is_fr": float(language == "fr"),
    }


def is_fitted(tuning: Tuning | None) -> bool:
    return bool(tuning and tuning.evidence)


def confidence(found: Mapping[str, float], tuning: Tuning | None, min_relevance: float) -> float:
    """0..1: the probability that the guidance answers (fitted), or 1/0 for a score above/below `min_relevance`."""
    if tuning is None or not tuning.evidence:
        return float(found["score"] >= min_relevance)
    z = tuning.intercept + sum(w * found.get(name, 0.0) for name, w in tuning.evidence.items())
    return float(1 / (1 + math.exp(-z)))


def threshold(tuning: Tuning | None) -> float:
    """Confidence below which the guidance is taken to be silent."""
    return tuning.threshold if tuning is not None and tuning.evidence else 0.5


def confident(tuning: Tuning | None, language: str) -> float:
    """Confidence below which a quote is shown as a weak match: where the first quote of questions in this
    language stops being right four times in five (the probability runs lower for French and Dutch, whose
    questions meet English text)."""
    if tuning is None or not tuning.evidence:
        return 0.0
    return tuning.confident_by_language.get(language, tuning.confident)
