"""Many concurrent callers, few forward passes; a question asked again, no pass at all."""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future

import numpy as np

from .base import Embedder


class BatchingEmbedder:
    """Gathers texts from concurrent callers into one model call: many small requests, few forward passes.

    It can also remember the vectors of the last `remember` questions (texts embedded in the query role): the same
    question comes from many askers, and a follow-up is searched again together with the turn before it. Passages
    always go to the model (an ingestion has its own cache, ingest/cache.py)."""

    def __init__(self, inner: Embedder, max_batch: int = 64, remember: int = 0) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.max_batch = max_batch
        self.remember = remember
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._questions_lock = threading.Lock()
        self._pending: list[tuple[list[str], bool, Future]] = []
        self._cond = threading.Condition()
        self._worker = threading.Thread(target=self._run, name="embed-batcher", daemon=True)
        self._worker.start()

    def __getattr__(self, name: str):
        if name == "inner":  # not set yet (copy, a failed __init__): no endless lookup
            raise AttributeError(name)
        return getattr(self.inner, name)  # the inner model's description (parts, dims) without its batching

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not query or not self.remember or not texts:
            return self._through_the_model(list(texts), query)
        with self._questions_lock:
            known = {}
            for text in texts:  # in the order asked: the last asked is the last to go
                if text in self._questions:
                    self._questions.move_to_end(text)
                    known[text] = self._questions[text]
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = self._through_the_model(missing, True)
            known.update(zip(missing, fresh))
            with self._questions_lock:  # copies: a row of `fresh` is a view that would keep its whole batch alive
                self._questions.update((text, row.copy()) for text, row in zip(missing, fresh))
                while len(self._questions) > self.remember:
                    self._questions.popitem(last=False)
        return np.stack([known[t] for t in texts])

    def _through_the_model(self, texts: list[str], query: bool) -> np.ndarray:
        future: Future = Future()
        with self._cond:
            self._pending.append((texts, query, future))
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


# By id(model) and memory size: a batcher holds its model, so the id stays that model's.
_SHARED: dict[tuple[int, int], BatchingEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def batching_for(model: Embedder, remember: int) -> BatchingEmbedder:
    """The process's one batcher for `model` remembering `remember` questions (Settings.remembered_questions): every
    engine (Runtime) of the process that shares a model shares its batches and the questions it remembers, and no
    engine starts a thread of its own."""
    if isinstance(model, BatchingEmbedder):
        return model
    with _SHARED_LOCK:
        batcher = _SHARED.get((id(model), remember))
        if batcher is None:
            batcher = _SHARED[(id(model), remember)] = BatchingEmbedder(model, remember=remember)
        return batcher
