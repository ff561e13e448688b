"""What every embedder is: texts in, one unit vector per text out, in the role (question or passage) it plays; and
what retrieval needs to know of the models behind a vector (which part is whose, which reads other languages)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

# Model families recognised by their names, the one place that does it: those that read French and Dutch as well as
# English, and where a family's similarities of unrelated texts lie (e5 models put them near 0.7, MiniLM near 0).
MULTILINGUAL_NAMES = ("multilingual", "labse", "-m3", "paraphrase-xlm")
UNRELATED_SIMILARITY = {"e5": 0.70}


class Embedder(Protocol):
    """Retrieval weighs each model behind a vector apart: `parts`, `dims`, and each part's `multilingual` and
    `unrelated_similarity` say which slice is whose and how to read it."""

    model_id: str

    @property
    def parts(self) -> Sequence[Embedder]:
        """The models whose vectors sit side by side in one vector, in order (one model: itself)."""

    @property
    def dims(self) -> tuple[int, ...]:
        """Each part's share of a vector; empty until known (one model: its whole vector)."""

    @property
    def multilingual(self) -> bool:
        """Whether the model reads French and Dutch as well as English (a fusion: whether any part does)."""

    @property
    def unrelated_similarity(self) -> float:
        """About where the model's similarity of two unrelated texts lies; retrieval rescales from there to 1
        (a fusion: the lowest of its parts'; retrieval reads each part's own)."""

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """Return one L2-normalised float32 row per text; `query` marks questions (e5 models embed the two roles apart)."""


class OneModel:
    """What a single model says of itself, from its id: no parts but itself, its family's traits."""

    model_id: str
    dims: tuple[int, ...] = ()

    @property
    def parts(self) -> Sequence[Embedder]:
        return (self,)  # type: ignore[return-value]  # a subclass supplies embed()

    @property
    def multilingual(self) -> bool:
        return is_multilingual(self.model_id)

    @property
    def unrelated_similarity(self) -> float:
        lowered = self.model_id.lower()
        return next((low for key, low in UNRELATED_SIMILARITY.items() if key in lowered), 0.0)


def is_multilingual(model_id: str) -> bool:
    lowered = model_id.lower()
    return any(key in lowered for key in MULTILINGUAL_NAMES)


def role_prefix(model: str, query: bool) -> str:
    """The prefix an e5 model was trained with for each role; other models take the text as it is."""
    if "e5" not in Path(model).name.lower():
        return ""
    return "query: " if query else "passage: "
