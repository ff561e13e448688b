"""What every knowledge store offers: a local directory (KnowledgeStore) or a Chroma server (ServerStore)."""
from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from ..passages import Unit
from .history import protected
from .manifest import VersionInfo
from .snapshot import Snapshot


class Store(Protocol):
    """Versions of the knowledge; readers never see a version until it is complete, and one writer at a time."""

    location: str  # where the store is, as an operator would name it in a message
    problem: str | None  # why the store could not be reached the last time, while the version held keeps serving

    # Reading
    def current_id(self) -> str | None: ...
    def pointer_stamp(self) -> object: ...  # a cheap token that changes whenever a version is published
    def version_ids(self) -> list[str]: ...
    def manifest(self, version: str) -> VersionInfo: ...
    def load(self, version: str | None = None) -> Snapshot: ...

    # Writing, under lock()
    def lock(self, wait_seconds: float = 0.0) -> contextlib.AbstractContextManager[None]: ...
    def next_version_id(self) -> str: ...
    def write_version(self, info: VersionInfo, units: Sequence[Unit], vectors: np.ndarray) -> None: ...
    def publish(self, version: str) -> None: ...
    def discard(self, version: str) -> None: ...
    def discard_unfinished(self) -> list[str]: ...

    # Audit
    def audit(self, action: str, actor: str, **details) -> dict: ...
    def audit_entries(self) -> list[dict]: ...

    # Shared by both stores
    def prune(self, keep: int) -> list[str]:
        """Delete the versions nobody can need (under lock()): never the serving one, the one a rollback returns
        to, the last whose checks passed, one that served in the last `keep` publishes, or the newest `keep`."""
        ids = self.version_ids()
        kept = protected(self.audit_entries(), self.current_id(), ids, keep)
        doomed = [v for v in ids if v not in kept]
        for version in doomed:
            self.discard(version)
        return doomed

    def current_manifest(self) -> VersionInfo | None:
        current = self.current_id()
        return self.manifest(current) if current else None

    def version_rows(self) -> list[dict]:
        """One line of facts per version, the serving one marked: what `advisor versions` and the web show."""
        current = self.current_id()
        return [{"id": m.id, "created": m.created, "created_by": m.created_by, "documents": len(m.documents),
                 "passages": m.passages, "forced": m.forced, "serving": m.id == current}
                for m in map(self.manifest, self.version_ids())]
