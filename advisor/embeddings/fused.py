"""Several models side by side in one vector."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Embedder


class FusedEmbedder:
    """Several models side by side: a text's vector is its unit vectors from each model, one after the other.

    Retrieval reads each model's slice apart (`parts`, `dims`) and weighs their similarities; the store and
    the embedding cache see one model whose id names all of them.
    """

    def __init__(self, parts: Sequence[Embedder]) -> None:
        self.parts = list(parts)
        self.model_id = "+".join(p.model_id for p in self.parts)
        self.dims: tuple[int, ...] = ()  # each model's share of a vector, known once it has embedded

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = [p.embed(texts, query=query) for p in self.parts]
        self.dims = tuple(v.shape[1] for v in vectors)
        return np.concatenate(vectors, axis=1)
