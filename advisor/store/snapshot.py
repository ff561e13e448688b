"""A whole knowledge version held in memory: what retrieval reads."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..documents import DocumentMeta
from ..passages import Passage, Unit
from .manifest import VersionInfo


@dataclass(frozen=True)
class Snapshot:
    info: VersionInfo
    documents: dict[str, DocumentMeta]
    passages: dict[str, Passage]
    units: list[Unit]
    vectors: np.ndarray  # one row per unit, in the order of `units`
    translation_notes: dict[tuple[str, str], str]  # (document, language) -> note
