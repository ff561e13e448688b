"""The knowledge store: versioned Chroma directories, an atomic pointer to the serving one, a lock, an audit log.

Layout of the store directory:
    versions/v0003/chroma/       a complete Chroma directory, written once, then only read
    versions/v0003/manifest.json what the version holds (documents, hashes, model, who built it)
    versions/.building-v0004/    a version being written; never read, removed if abandoned
    CURRENT                      the id of the serving version, replaced atomically
    ingest.lock                  held by the one process allowed to write
    audit.jsonl                  append-only record of ingestions, publishes and rollbacks
"""
from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import IngestBusy, KnowledgeNotReady, StoreError
from .models import DocumentMeta, Passage, VersionInfo

COLLECTION = "units"
_VERSION_DIR = re.compile(r"^v(\d{4,})$")


@dataclass(frozen=True)
class Unit:
    """One searchable text: a passage, one of its sentences, or its translation."""

    id: str
    passage_id: str
    kind: str  # "passage" | "sentence" | "translation" | "question"
    language: str
    text: str
    metadata: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Snapshot:
    """A whole version held in memory: what retrieval reads."""

    info: VersionInfo
    documents: dict[str, DocumentMeta]
    passages: dict[str, Passage]
    units: list[Unit]
    vectors: np.ndarray
    translation_notes: dict[tuple[str, str], str]  # (document, language) -> note


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return f"cli:uid{os.getuid()}"


def _chroma_client(path: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


class KnowledgeStore:
    """Versions of the knowledge in one directory; readers never see a version until it is complete."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.pointer = self.root / "CURRENT"
        self.audit_path = self.root / "audit.jsonl"

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

    def version_rows(self) -> list[dict]:
        """One line of facts per version, the serving one marked: what `advisor versions` and the web show."""
        current = self.current_id()
        return [{"id": m.id, "created": m.created, "created_by": m.created_by, "documents": len(m.documents),
                 "passages": m.passages, "forced": m.forced, "serving": m.id == current}
                for m in map(self.manifest, self.version_ids())]

    def current_manifest(self) -> VersionInfo | None:
        current = self.current_id()
        return self.manifest(current) if current else None

    def load(self, version: str | None = None) -> Snapshot:
        """Read a whole version into memory; the Chroma directory is closed again before returning."""
        version = version or self.current_id()
        if version is None:
            raise KnowledgeNotReady(f"No knowledge has been published in {self.root} yet: run `advisor ingest` first.")
        info = self.manifest(version)
        client = _chroma_client(self.versions_dir / version / "chroma")
        try:
            collection = client.get_collection(COLLECTION, embedding_function=None)
            rows = collection.get(include=["documents", "metadatas", "embeddings"])
        except Exception as exc:
            raise StoreError(f"Knowledge version {version} cannot be read: {exc}") from exc
        finally:
            client.close()
        return _snapshot(info, rows)

    # Writing -----------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the store's write lock; raise IngestBusy if another process holds it past `wait_seconds`."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "ingest.lock", "a+")
        deadline = time.monotonic() + wait_seconds
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        handle.seek(0)
                        holder = handle.read().strip() or "another process"
                        raise IngestBusy(f"Another ingestion is running ({holder}); try again when it has finished.") from None
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {now_iso()}")
            handle.flush()
            yield
        finally:
            handle.close()  # closing releases the lock, also when the process is killed

    def next_version_id(self) -> str:
        numbers = [0]
        if self.versions_dir.is_dir():
            for p in self.versions_dir.iterdir():
                m = re.search(r"v(\d{4,})$", p.name)
                if m:
                    numbers.append(int(m.group(1)))
        return f"v{max(numbers) + 1:04d}"

    def write_version(self, info: VersionInfo, units: Sequence[Unit], vectors: np.ndarray) -> None:
        """Write a complete version beside the others; it becomes visible only by the final rename."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self.discard_unfinished()
        building = self.versions_dir / f".building-{info.id}"
        client = _chroma_client(building / "chroma")
        try:
            collection = client.create_collection(
                COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
            )
            step = max(1, min(client.get_max_batch_size(), 2000))
            for i in range(0, len(units), step):
                chunk = units[i:i + step]
                collection.add(
                    ids=[u.id for u in chunk],
                    documents=[u.text for u in chunk],
                    metadatas=[_unit_metadata(u) for u in chunk],
                    embeddings=vectors[i:i + step],
                )
        finally:
            client.close()
        _write_atomic(building / "manifest.json", json.dumps(info.to_dict(), indent=1, ensure_ascii=False))
        _fsync_dir(building)
        os.replace(building, self.versions_dir / info.id)
        _fsync_dir(self.versions_dir)

    def publish(self, version: str) -> None:
        if version not in self.version_ids():
            raise StoreError(f"There is no complete knowledge version {version!r} to publish.")
        _write_atomic(self.pointer, version + "\n")

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

    def prune(self, keep: int) -> list[str]:
        """Delete the oldest versions beyond `keep`, never the serving one."""
        current = self.current_id()
        ids = self.version_ids()
        doomed = [v for v in ids[:-keep] if v != current] if len(ids) > keep else []
        for version in doomed:
            shutil.rmtree(self.versions_dir / version, ignore_errors=True)
        return doomed

    # Audit -------------------------------------------------------------------
    def audit(self, action: str, actor: str, **details) -> dict:
        self.root.mkdir(parents=True, exist_ok=True)
        entry = {"time": now_iso(), "action": action, "actor": actor, **details}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        fd = os.open(self.audit_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def audit_entries(self) -> list[dict]:
        try:
            lines = self.audit_path.read_text().splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
        return entries


def _unit_metadata(unit: Unit) -> dict:
    base = {"passage_id": unit.passage_id, "kind": unit.kind, "language": unit.language}
    extra = {k: (json.dumps(v) if isinstance(v, (list, tuple, dict)) else v) for k, v in unit.metadata.items()}
    return base | extra


def _snapshot(info: VersionInfo, rows: dict) -> Snapshot:
    documents = {d.path: d for d in info.documents}
    units: list[Unit] = []
    passage_rows: dict[str, tuple[str, dict]] = {}
    translations: dict[str, dict[str, str]] = {}
    questions: dict[str, list[str]] = {}
    notes: dict[tuple[str, str], str] = {}
    for uid, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"]):
        unit = Unit(uid, meta["passage_id"], meta["kind"], meta["language"], text, dict(meta))
        units.append(unit)
        if unit.kind == "passage":
            passage_rows[unit.passage_id] = (text, meta)
        elif unit.kind == "translation":
            translations.setdefault(unit.passage_id, {})[unit.language] = text
        elif unit.kind == "question":
            questions.setdefault(unit.passage_id, []).append(text)
    passages = {}
    for pid, (text, meta) in passage_rows.items():
        spans = tuple(tuple(s) for s in json.loads(meta["sentences"]))
        passages[pid] = Passage(pid, meta["document"], text, meta.get("heading", ""), int(meta["position"]), spans,
                                translations.get(pid, {}), questions.get(pid, []))
    for unit in units:
        if unit.kind == "translation" and unit.passage_id in passages:
            notes[(passages[unit.passage_id].document, unit.language)] = unit.metadata.get("note", "")
    vectors = np.asarray(rows["embeddings"], dtype=np.float32)
    return Snapshot(info, documents, passages, units, vectors, notes)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
