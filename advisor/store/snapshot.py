"""A whole knowledge version held in memory: what retrieval reads."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..documents import DocumentMeta
from ..gaps import GapQuestion
from ..passages import Passage, Unit
from .manifest import VersionInfo

# The ids of the `k` units nearest to a vector, nearest first, by the store's own index (Chroma's HNSW).
NearestUnits = Callable[[np.ndarray, int], list[str]]


@dataclass(frozen=True)
class Snapshot:
    info: VersionInfo
    documents: dict[str, DocumentMeta]
    passages: dict[str, Passage]
    units: list[Unit]
    vectors: np.ndarray  # one row per unit, in the order of `units`
    translation_notes: dict[tuple[str, str], str]  # (document, language) -> note
    nearest: NearestUnits | None = None  # the store's nearest-neighbour query, for versions too large to scan whole
    gaps: tuple[GapQuestion, ...] = ()  # the known gaps' questions (knowledge/gaps.md); not among `units`
    gap_vectors: np.ndarray | None = None  # one row per gap question, embedded as an attached question is
