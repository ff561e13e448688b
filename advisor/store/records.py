"""Small JSON records kept in one Chroma collection of a server: manifests, the pointer, the lease, the audit log.

Chroma offers no transaction and no compare-and-set. What it does offer, and what the lease is built on: `add` of
an id that exists already is ignored, and the server applies writes in one order, so of several processes adding
the same id at once exactly one wins and every one of them reads the same winner back.
"""
from __future__ import annotations

from dataclasses import dataclass

_PLACEHOLDER = [1.0]  # Chroma wants a vector with every record; these records are found by id and kind, never by similarity


@dataclass(frozen=True)
class Record:
    id: str
    document: str
    metadata: dict


class Records:
    def __init__(self, chroma, name: str) -> None:
        self.chroma = chroma
        self.collection = chroma.get_or_create_collection(name, embedding_function=None)

    def add(self, record_id: str, document: str, metadata: dict) -> None:
        """Insert the record unless one with this id exists already (then nothing changes)."""
        self.collection.add(ids=[record_id], documents=[document], metadatas=[metadata], embeddings=[_PLACEHOLDER])

    def put(self, record_id: str, document: str, metadata: dict) -> None:
        """Insert or replace the record, in one write."""
        self.collection.upsert(ids=[record_id], documents=[document], metadatas=[metadata], embeddings=[_PLACEHOLDER])

    def get(self, record_id: str) -> Record | None:
        rows = self.collection.get(ids=[record_id], include=["documents", "metadatas"])
        found = _records(rows)
        return found[0] if found else None

    def of_kind(self, kind: str) -> list[Record]:
        """Every record whose metadata says `kind`, sorted by id."""
        rows = self.collection.get(where={"kind": kind}, include=["documents", "metadatas"])
        return sorted(_records(rows), key=lambda r: r.id)

    def delete(self, record_ids: list[str]) -> None:
        if record_ids:
            self.collection.delete(ids=record_ids)

    def server_time(self) -> float:
        """The server's clock, in seconds: every host measures a lease's expiry on the same clock."""
        return self.chroma.heartbeat() / 1e9


def _records(rows: dict) -> list[Record]:
    return [Record(i, d or "", dict(m or {})) for i, d, m in zip(rows["ids"], rows["documents"], rows["metadatas"])]
