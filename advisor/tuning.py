"""The fitted weights of retrieval (advisor/tuning.json, written by bench/tune_retrieval.py), per set of models."""
from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

TUNING_FILE = Path(__file__).with_name("tuning.json")

# Without a fitted tuning (another model): meaning first, a quarter lexical.
DEFAULT_RANK = {"ml_passage": 0.25, "ml_sentence": 0.15, "ml_any": 0.35, "en_doc": 0.0, "en_any": 0.0, "lexical": 0.25}


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
