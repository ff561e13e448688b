"""What every embedder is: texts in, one unit vector per text out, in the role (question or passage) it plays."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """Return one L2-normalised float32 row per text; `query` marks questions (e5 models embed the two roles apart)."""


def role_prefix(model: str, query: bool) -> str:
    """The prefix an e5 model was trained with for each role; other models take the text as it is."""
    if "e5" not in Path(model).name.lower():
        return ""
    return "query: " if query else "passage: "


