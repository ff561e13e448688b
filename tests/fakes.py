"""Fakes for what no user runs: a deterministic embedder that counts its calls, one that fails on demand."""
from __future__ import annotations

import hashlib

import numpy as np

from advisor.embeddings.base import OneModel


class HashEmbedder(OneModel):
    """Bag-of-words vectors from hashed words: fast, deterministic, good enough to exercise the plumbing."""

    model_id = "test:hash-embedder"

    def __init__(self, dim: int = 64, fail_after: int | None = None) -> None:
        self.dim = dim
        self.calls = 0
        self.texts = 0
        self.fail_after = fail_after

    def embed(self, texts, *, query=False):
        self.calls += 1
        self.texts += len(texts)
        if self.fail_after is not None and self.texts > self.fail_after:
            raise RuntimeError("embedder crashed (simulated)")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)
