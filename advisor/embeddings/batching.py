"""Many concurrent callers, few forward passes."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from .base import Embedder


class BatchingEmbedder:
    """Gathers texts from concurrent callers into one model call: many small requests, few forward passes."""

    def __init__(self, inner: Embedder, max_batch: int = 64) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_batch = max_batch
        self._pending: list[tuple[list[str], bool, Future]] = []
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="embed-batcher", daemon=True)
        self._worker.start()

    def __getattr__(self, name: str):
        if name == "inner":  # not set yet (copy, a failed __init__): no endless lookup
            raise AttributeError(name)
        return getattr(self.inner, name)  # the inner model's description (parts, dims) without its batching

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        future: Future = Future()
        with self._cond:
            self._pending.append((list(texts), query, future))
            self._cond.notify()
        return future.result()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                role = self._pending[0][1]
                batch: list[tuple[list[str], bool, Future]] = []
                size = 0
                for item in list(self._pending):  # one role a batch: the two roles embed differently
                    if item[1] == role and (not batch or size + len(item[0]) <= self.max_batch):
                        batch.append(item)
                        size += len(item[0])
                        self._pending.remove(item)
            try:
                vectors = self.inner.embed([t for texts, _, _ in batch for t in texts], query=role)
            except BaseException as exc:  # each caller gets the error of its own batch
                for _, _, future in batch:
                    future.set_exception(exc)
                continue
            offset = 0
            for texts, _, future in batch:
                future.set_result(vectors[offset:offset + len(texts)])
                offset += len(texts)
