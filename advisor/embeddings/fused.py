"""Several models side by side in one vector."""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .base import Embedder


class FusedEmbedder:
    """Several models side by side: a text's vector is its unit vectors from each model, one after the other.

    Retrieval reads each model's slice apart (`parts`, `dims`) and weighs their similarities; the store sees one
    model whose id names all of them, and the embedding cache keeps each model's vectors apart. With `concurrent`,
    the models run at the same time, each on a thread of its own (both engines release the GIL): a question costs
    the slowest model, not the sum.
    """

    def __init__(self, parts: Sequence[Embedder], concurrent: bool = False) -> None:
        self.parts = list(parts)
        self.model_id = "+".join(p.model_id for p in self.parts)
        self.dims: tuple[int, ...] = ()  # each model's share of a vector, known once it has embedded
        self._helpers = ThreadPoolExecutor(len(self.parts) - 1, thread_name_prefix="embed-part") \
            if concurrent and len(self.parts) > 1 else None

    @property
    def multilingual(self) -> bool:
        return any(p.multilingual for p in self.parts)

    @property
    def unrelated_similarity(self) -> float:
        return min(p.unrelated_similarity for p in self.parts)

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self._helpers:
            others = [self._helpers.submit(p.embed, texts, query=query) for p in self.parts[1:]]
            vectors = [self.parts[0].embed(texts, query=query), *(f.result() for f in others)]
        else:
            vectors = [p.embed(texts, query=query) for p in self.parts]
        self.dims = tuple(v.shape[1] for v in vectors)
        return np.concatenate(vectors, axis=1)
