"""How units are written to and read from a Chroma directory: one collection, our vectors, flat metadata."""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..documents import DocumentMeta
from ..errors import StoreError
from ..gaps import Gap, GapQuestion
from ..passages import Passage, PassagePlace, TranslationNote, Unit, UnitKind
from .manifest import VersionInfo
from .snapshot import NearestUnits, Snapshot

COLLECTION = "units"


def client(path: Path):
    import chromadb

    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def chroma_settings():
    """Chroma's client settings, telemetry off: a copy for each client, which writes its path into them. Made once:
    making them reads the environment and a .env file (about 2 ms) for every version read and written."""
    return _chroma_settings().model_copy()


@lru_cache(maxsize=1)
def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def write_units(path: Path, units: Sequence[Unit], vectors: np.ndarray) -> None:
    """Create the collection at `path` with our own vectors (Chroma's default embedding would download a model)."""
    chroma = client(path)
    try:
        add_units(chroma, create_units_collection(chroma, COLLECTION), units, vectors)
    finally:
        chroma.close()


def create_units_collection(chroma, name: str):
    return chroma.create_collection(name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})


def add_units(chroma, collection, units: Sequence[Unit], vectors: np.ndarray) -> None:
    step = max(1, min(chroma.get_max_batch_size(), 2000))
    for i in range(0, len(units), step):
        batch = units[i:i + step]
        collection.add(
            ids=[u.id for u in batch],
            documents=[u.text for u in batch],
            metadatas=[u.to_row() for u in batch],
            embeddings=vectors[i:i + step],
        )


def read_snapshot(path: Path, info: VersionInfo) -> Snapshot:
    """Read every unit and vector of a version; the Chroma directory is closed again before returning."""
    chroma = client(path)
    try:
        rows = read_rows(chroma.get_collection(COLLECTION, embedding_function=None))
    except Exception as exc:
        raise StoreError(f"Knowledge version {info.id} cannot be read: {exc}") from exc
    finally:
        chroma.close()
    return decode(info, rows, CollectionIndex(info.id, lambda: _open_for_queries(path)))


class CollectionIndex:
    """Chroma's own nearest-neighbour query (its HNSW index) on one version's collection.

    Retrieval asks it only for versions too large to scan whole (Settings.exact_search_units). `open_collection`
    is called on the first query: a small version in a directory never opens its Chroma directory again after it
    was read (a version in a server hands over the collection it was read from)."""

    def __init__(self, version: str, open_collection: Callable[[], Any]) -> None:
        self.version = version
        self._open = open_collection
        self._collection: Any = None
        self._lock = threading.Lock()

    def __call__(self, vector: np.ndarray, k: int) -> list[str]:
        try:
            with self._lock:
                if self._collection is None:
                    self._collection = self._open()
            found = self._collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
        except Exception as exc:  # Chroma's and httpx's own errors, whatever the transport
            raise StoreError(f"The nearest-neighbour index of knowledge version {self.version} did not answer: "
                             f"{type(exc).__name__}: {exc}") from exc
        return list(found["ids"][0])


def _open_for_queries(path: Path):
    """The version's collection, through a client that is closed when the collection is no longer referenced."""
    chroma = client(path)
    collection = chroma.get_collection(COLLECTION, embedding_function=None)
    weakref.finalize(collection, chroma.close)
    return collection


def read_rows(collection, page: int = 5000) -> dict:
    """Every row of a collection, a page at a time, so that no single answer grows without bound: each page's
    vectors become float32 at once (a whole large version read in one answer peaks at several times its size)."""
    rows: dict[str, list] = {"ids": [], "documents": [], "metadatas": []}
    vectors: list[np.ndarray] = []
    offset = 0
    while True:
        chunk = collection.get(include=["documents", "metadatas", "embeddings"], limit=page, offset=offset)
        for key in rows:
            rows[key].extend(chunk[key])
        if len(chunk["ids"]):
            vectors.append(np.asarray(chunk["embeddings"], dtype=np.float32))
        if len(chunk["ids"]) < page:
            return rows | {"embeddings": np.concatenate(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)}
        offset += page


def decode(info: VersionInfo, rows: dict, nearest: CollectionIndex | None = None) -> Snapshot:
    documents: dict[str, DocumentMeta] = {d.path: d for d in info.documents}
    every = [Unit.from_row(uid, text, meta) for uid, text, meta in zip(rows["ids"], rows["documents"], rows["metadatas"])]
    is_gap = np.array([u.kind is UnitKind.GAP for u in every], dtype=bool)
    units = [u for u, gap in zip(every, is_gap) if not gap]
    gaps = tuple(GapQuestion(u.metadata, u.language, u.text) for u in every if isinstance(u.metadata, Gap))
    translations: dict[str, dict[str, str]] = {}
    questions: dict[str, list[str]] = {}
    for unit in units:
        if unit.kind is UnitKind.TRANSLATION:
            translations.setdefault(unit.passage_id, {})[unit.language] = unit.text
        elif unit.kind is UnitKind.QUESTION:
            questions.setdefault(unit.passage_id, []).append(unit.text)
    passages = {}
    for unit in units:
        if isinstance(unit.metadata, PassagePlace):
            place = unit.metadata
            passages[unit.passage_id] = Passage(unit.passage_id, place.document, unit.text, place.heading, place.position,
                                                place.sentences, translations.get(unit.passage_id, {}),
                                                questions.get(unit.passage_id, []), place.paragraph)
    notes: dict[tuple[str, str], str] = {}
    for unit in units:
        if isinstance(unit.metadata, TranslationNote) and unit.passage_id in passages:
            notes[(passages[unit.passage_id].document, unit.language)] = unit.metadata.note
    vectors = np.asarray(rows["embeddings"], dtype=np.float32)
    if not gaps:
        return Snapshot(info, documents, passages, units, vectors, notes, nearest)
    skipped = {u.id for u in every if u.kind is UnitKind.GAP}
    return Snapshot(info, documents, passages, units, vectors[~is_gap], notes, _without(nearest, skipped), gaps,
                    vectors[is_gap])


def _without(nearest: CollectionIndex | None, skipped: set[str]) -> NearestUnits | None:
    """The index's query, leaving out the known gaps' questions it holds beside the guidance's units."""
    if nearest is None:
        return None
    index = nearest

    def query(vector: np.ndarray, k: int) -> list[str]:
        return [i for i in index(vector, k + len(skipped)) if i not in skipped][:k]

    return query
