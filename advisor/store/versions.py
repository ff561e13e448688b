"""The knowledge store: versioned Chroma directories, an atomic pointer to the serving one, a lock, an audit log.

Layout of the store directory:
    versions/v0003/chroma/       a complete Chroma directory, written once, then only read
    versions/v0003/manifest.json what the version holds (documents, hashes, model, who built it)
    versions/.building-v0004/    a version being written; never read, removed if abandoned
    versions/LAST_ID             the last version id given: ids are never reused, even a discarded version's
    CURRENT                      the id of the serving version, replaced atomically
    ingest.lock                  held by the one process allowed to write
    audit.jsonl                  append-only record of ingestions, publishes and rollbacks
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..errors import KnowledgeNotReady, StoreError
from ..files import fsync_dir, write_text_atomically
from ..passages import Unit
from .audit import AuditLog
from .chroma import read_snapshot, write_units
from .lock import write_lock
from .manifest import VersionInfo
from .protocol import Store
from .snapshot import Snapshot

_VERSION_DIR = re.compile(r"^v(\d{4,})$")


class KnowledgeStore(Store):
    """Versions of the knowledge in one directory; readers never see a version until it is complete."""

    problem = None  # a local directory is there or not: nothing to be degraded about

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.location = str(self.root)
        self.versions_dir = self.root / "versions"
        self.pointer = self.root / "CURRENT"
        self.last_id = self.versions_dir / "LAST_ID"  # the last version id given
        self.audit_log = AuditLog(self.root / "audit.jsonl")

    # Reading -----------------------------------------------------------------
    def current_id(self) -> str | None:
        try:
            value = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return value or None

    def pointer_stamp(self) -> tuple[int, int] | None:
        """A cheap token that changes whenever a version is published."""
        try:
            st = self.pointer.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def version_ids(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        ids = [p.name for p in self.versions_dir.iterdir() if _VERSION_DIR.match(p.name) and (p / "manifest.json").is_file()]
        return sorted(ids)

    def manifest(self, version: str) -> VersionInfo:
        path = self.versions_dir / version / "manifest.json"
        try:
            return VersionInfo.from_dict(json.loads(path.read_text()))
        except FileNotFoundError as exc:
            raise StoreError(f"There is no knowledge version {version!r} in {self.root}.") from exc
        except (ValueError, TypeError) as exc:
            raise StoreError(f"The manifest of version {version!r} is unreadable: {exc}") from exc

    def load(self, version: str | None = None) -> Snapshot:
        """Read a whole version into memory."""
        version = version or self.current_id()
        if version is None:
            raise KnowledgeNotReady(f"No knowledge has been published in {self.root} yet: run `advisor ingest` first.")
        return read_snapshot(self.versions_dir / version / "chroma", self.manifest(version))

    # Writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the store's write lock; raise IngestBusy if another process holds it past `wait_seconds`."""
        with write_lock(self.root / "ingest.lock", wait_seconds):
            yield

    def next_version_id(self) -> str:
        """An id never given before, even to a version since discarded: a reader that still holds the discarded
        version's Chroma directory open must not meet another version's units under the same path."""
        numbers = [0]
        if self.versions_dir.is_dir():
            for p in self.versions_dir.iterdir():
                m = re.search(r"v(\d{4,})$", p.name)
                if m:
                    numbers.append(int(m.group(1)))
        with contextlib.suppress(OSError, ValueError):
            numbers.append(int(self.last_id.read_text().strip()[1:]))
        version = f"v{max(numbers) + 1:04d}"
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.last_id, version + "\n")
        return version

    def write_version(self, info: VersionInfo, units: Sequence[Unit], vectors: np.ndarray) -> None:
        """Write a complete version beside the others; it becomes visible only by the final rename."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self.discard_unfinished()
        building = self.versions_dir / f".building-{info.id}"
        write_units(building / "chroma", units, vectors)
        write_text_atomically(building / "manifest.json", json.dumps(info.to_dict(), indent=1, ensure_ascii=False))
        os.replace(building, self.versions_dir / info.id)
        fsync_dir(self.versions_dir)

    def publish(self, version: str) -> None:
        if version not in self.version_ids():
            raise StoreError(f"There is no complete knowledge version {version!r} to publish.")
        write_text_atomically(self.pointer, version + "\n")

    def discard(self, version: str) -> None:
        """Delete a version that was built but not published."""
        if version == self.current_id():
            raise StoreError(f"Version {version} is serving and cannot be discarded.")
        shutil.rmtree(self.versions_dir / version, ignore_errors=True)

    def discard_unfinished(self) -> list[str]:
        """Remove what a crashed ingestion left half-written."""
        removed = []
        if self.versions_dir.is_dir():
            for p in self.versions_dir.iterdir():
                if p.name.startswith(".building-"):
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p.name)
        return removed

    # Audit -------------------------------------------------------------------
    def audit(self, action: str, actor: str, **details) -> dict:
        return self.audit_log.append(action, actor, **details)

    def audit_entries(self) -> list[dict]:
        return self.audit_log.entries()
