"""The knowledge store on a Chroma server: what processes on several hosts share with nothing but its URL.

In the server, under a prefix (default "advisor"):
    advisor-v0003        the units of version 3 and their vectors: one collection per version, written once
    advisor-meta         small JSON records:
        manifest:v0003   what version 3 holds; written after its last unit, so a version without one is unfinished
        pointer          the id of the serving version, replaced in one write
        lease:12         who may write now, until when (see lease.py)
        audit:<time>…    one entry of the audit log each
A collection "advisor-v0004" without "manifest:v0004" is an ingestion that did not finish: never read, removed by
the next ingestion.
"""
from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

import numpy as np

from ..errors import AdvisorError, KnowledgeNotReady, StoreError
from ..passages import Unit
from .audit import now_iso
from .chroma import CollectionIndex, add_units, chroma_settings, create_units_collection, decode, read_rows
from .lease import HeldLease, LeaseKeeper
from .manifest import VersionInfo
from .protocol import Store
from .records import Records
from .snapshot import Snapshot

TOKEN_HEADER = "X-Chroma-Token"  # the header Chroma's own token authentication reads
# Units per request when a replica reads a version: each page arrives as JSON and becomes Python floats before
# numpy's, so large pages raise a replica's peak memory (300 x today's knowledge: 2.0 GB with pages of 5,000).
SERVER_PAGE = 1000
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


class ServerStore(Store):
    """Versions of the knowledge in a Chroma server; readers never see a version until it is complete."""

    def __init__(self, url: str, *, token: str | None = None, prefix: str = "advisor", lease_seconds: float = 60.0,
                 timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.host, self.port, self.ssl = _address(self.url)
        if not _PREFIX.match(prefix):
            raise StoreError(f"ADVISOR_CHROMA_PREFIX={prefix!r} cannot name Chroma collections: use letters, digits, '_' "
                             "or '-', starting with a letter or digit, at most 63 characters.")
        self.prefix = prefix
        self.token = token
        self.timeout = timeout
        self.location = f"the Chroma server at {self.url} (collections {prefix}-*)"
        self.problem: str | None = None
        self.lease_seconds = lease_seconds
        self._connecting = threading.Lock()
        self._records: Records | None = None
        self._held: HeldLease | None = None
        self._last_stamp: tuple[str, str] | None = None

    # Connection --------------------------------------------------------------------------------------------
    def _connect(self) -> Records:
        with self._connecting:
            if self._records is None:
                self._records = self._open()
            return self._records

    def _open(self) -> Records:
        import chromadb
        import httpx

        headers = {TOKEN_HEADER: self.token} if self.token else {}
        # chromadb's client waits forever for an answer; this first request tells a dead server within the timeout.
        scheme = "https" if self.ssl else "http"
        httpx.get(f"{scheme}://{self.host}:{self.port}/api/v2/heartbeat", headers=headers, timeout=self.timeout).raise_for_status()
        chroma = chromadb.HttpClient(host=self.host, port=self.port, ssl=self.ssl, headers=headers,
                                     settings=chroma_settings())
        session = getattr(getattr(chroma, "_server", None), "_session", None)
        if session is not None:  # so that every later request gives up too, instead of hanging a replica
            session.timeout = httpx.Timeout(self.timeout)
        return Records(chroma, f"{self.prefix}-meta")

    @contextlib.contextmanager
    def _reaching(self, doing: str) -> Iterator[Records]:
        """Name the server and what was being done in any error from it: the one place its errors are translated."""
        try:
            yield self._connect()
        except AdvisorError:
            raise
        except Exception as exc:
            raise StoreError(f"{self.location} could not {doing}: {type(exc).__name__}: {exc}") from exc

    def _collection_name(self, version: str) -> str:
        return f"{self.prefix}-{version}"

    def _version_collections(self, records: Records) -> list[str]:
        """Versions that have a collection of units, finished or not."""
        pattern = re.compile(rf"^{re.escape(self.prefix)}-(v\d{{4,}})$")
        names = [c.name for c in records.chroma.list_collections()]
        return sorted(m.group(1) for m in map(pattern.match, names) if m)

    # Reading -----------------------------------------------------------------------------------------------
    def current_id(self) -> str | None:
        with self._reaching("read the serving version") as records:
            pointer = records.get("pointer")
        return pointer.document if pointer else None

    def pointer_stamp(self) -> object:
        """What the pointer says now; while the server cannot be reached, what it said last (the version held keeps serving)."""
        try:
            with self._reaching("read the serving version") as records:
                pointer = records.get("pointer")
        except StoreError as exc:
            self.problem = str(exc)
            if self._last_stamp is None:
                raise
            return self._last_stamp
        self.problem = None
        self._last_stamp = (pointer.document, str(pointer.metadata.get("stamp"))) if pointer else None
        return self._last_stamp

    def version_ids(self) -> list[str]:
        with self._reaching("list the knowledge versions") as records:
            return sorted(r.metadata["version"] for r in records.of_kind("manifest"))

    def manifest(self, version: str) -> VersionInfo:
        return self._manifest(version)[0]

    def _manifest(self, version: str) -> tuple[VersionInfo, int]:
        """The manifest of `version` and how many units its collection must hold."""
        with self._reaching(f"read the manifest of version {version}") as records:
            record = records.get(f"manifest:{version}")
        if record is None:
            raise StoreError(f"There is no knowledge version {version!r} on {self.location}.")
        try:
            return VersionInfo.from_dict(json.loads(record.document)), int(record.metadata["units"])
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"The manifest of version {version!r} on {self.location} is unreadable: {exc}") from exc

    def load(self, version: str | None = None) -> Snapshot:
        """Read a whole version into memory; a version whose units are not all there is refused, never served."""
        version = version or self.current_id()
        if version is None:
            raise KnowledgeNotReady(f"No knowledge has been published on {self.location} yet: run `advisor ingest` first.")
        info, count = self._manifest(version)
        with self._reaching(f"read knowledge version {version}") as records:
            collection = records.chroma.get_collection(self._collection_name(version), embedding_function=None)
            rows = read_rows(collection, page=SERVER_PAGE)
        if count != len(rows["ids"]):
            raise StoreError(f"Knowledge version {version} on {self.location} is incomplete ({len(rows['ids'])} units of "
                             f"{count}); it is not served.")
        return decode(info, rows, CollectionIndex(version, lambda: collection))

    # Writing -----------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the store's ingestion lease; raise IngestBusy if another process holds it past `wait_seconds`."""
        with contextlib.ExitStack() as stack:
            with self._reaching("take the ingestion lease") as records:
                self._held = stack.enter_context(LeaseKeeper(records, self.lease_seconds, self.location).held(wait_seconds))
            try:
                yield  # errors of the block pass through untranslated; the lease is given back either way
            finally:
                self._held = None

    def _fence(self, doing: str) -> Records:
        """The records, once it is sure this process still holds the lease: the check before every write."""
        if self._held is None:
            raise StoreError(f"Cannot {doing} on {self.location} without holding its ingestion lease (store.lock()).")
        with self._reaching(f"check the ingestion lease before it could {doing}") as records:
            self._held.check()
        return records

    def next_version_id(self) -> str:
        with self._reaching("list the knowledge versions") as records:
            numbers = [0] + [int(v[1:]) for v in self._version_collections(records) + self.version_ids()]
        return f"v{max(numbers) + 1:04d}"

    def write_version(self, info: VersionInfo, units: Sequence[Unit], vectors: np.ndarray) -> None:
        """Write a complete version beside the others; it becomes visible only when its manifest is written, last."""
        self.discard_unfinished()
        with self._reaching(f"write knowledge version {info.id}") as records:
            collection = create_units_collection(records.chroma, self._collection_name(info.id))
            add_units(records.chroma, collection, units, vectors)
        records = self._fence(f"finish knowledge version {info.id}")
        with self._reaching(f"write the manifest of version {info.id}"):
            records.add(f"manifest:{info.id}", json.dumps(info.to_dict(), ensure_ascii=False),
                        {"kind": "manifest", "version": info.id, "units": len(units)})

    def publish(self, version: str) -> None:
        records = self._fence(f"publish version {version}")
        if version not in self.version_ids():
            raise StoreError(f"There is no complete knowledge version {version!r} to publish on {self.location}.")
        with self._reaching(f"publish version {version}"):
            records.put("pointer", version, {"kind": "pointer", "version": version, "stamp": uuid.uuid4().hex})

    def discard(self, version: str) -> None:
        """Delete a version that was built but not published: its manifest first, so it is never half there."""
        records = self._fence(f"discard version {version}")
        if version == self.current_id():
            raise StoreError(f"Version {version} is serving and cannot be discarded.")
        with self._reaching(f"discard version {version}"):
            records.delete([f"manifest:{version}"])
            with contextlib.suppress(Exception):  # already gone, or never created
                records.chroma.delete_collection(self._collection_name(version))

    def discard_unfinished(self) -> list[str]:
        """Remove what a killed ingestion left half-written: collections of versions that have no manifest."""
        records = self._fence("remove unfinished versions")
        with self._reaching("remove unfinished versions"):
            finished = set(self.version_ids())
            unfinished = [v for v in self._version_collections(records) if v not in finished]
            for version in unfinished:
                records.chroma.delete_collection(self._collection_name(version))
        return unfinished


    # Audit -------------------------------------------------------------------------------------------------
    def audit(self, action: str, actor: str, **details) -> dict:
        entry = {"time": now_iso(), "action": action, "actor": actor, **details}
        with self._reaching("append to the audit log") as records:
            records.add(f"audit:{time.time_ns():020d}:{uuid.uuid4().hex[:8]}", json.dumps(entry, ensure_ascii=False),
                        {"kind": "audit", "action": action})
        return entry

    def audit_entries(self) -> list[dict]:
        with self._reaching("read the audit log") as records:
            return [json.loads(r.document) for r in records.of_kind("audit")]


def _address(url: str) -> tuple[str, int, bool]:
    """(host, port, TLS) of an http(s)://host[:port] URL; anything else is named as the bad value it is."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise StoreError(f"ADVISOR_CHROMA_URL={url!r} is not a Chroma server's address: give http://host:port "
                         "(or https://…), without a path.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 8000), parts.scheme == "https"
