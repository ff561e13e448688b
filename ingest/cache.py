"""Vectors kept between ingestions, in SQLite beside the store."""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from advisor.embeddings import Embedder, role_prefix

VECTOR_CACHE = "embedding-cache.sqlite"  # in the store's directory


class EmbeddingCache:
    """Vectors by (model, role, text), each fused model apart: re-ingesting unchanged passages embeds nothing, and the
    gate asks its check questions without embedding them again."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def embed(self, texts: Sequence[str], embedder: Embedder, progress: bool, *, query: bool = False) -> tuple[np.ndarray, int]:
        """The vectors of `texts` (passages, or with `query` questions) and how many texts some model had to embed anew."""
        if not texts:
            return np.zeros((0, 0), np.float32), 0
        parts, fresh = self.part_vectors(texts, embedder, progress, query=query)
        return np.concatenate(parts, axis=1), fresh

    def part_vectors(self, texts: Sequence[str], embedder: Embedder, progress: bool, *,
                     query: bool = False) -> tuple[list[np.ndarray], int]:
        """Each model's vectors of `texts` apart (what a fused embedder's `dims` are made of), and how many texts some
        model had to embed anew."""
        results = [self._embed_one(texts, part, progress and not query, query) for part in embedder.parts]
        return [vectors for vectors, _ in results], max(n for _, n in results)

    def _embed_one(self, texts: Sequence[str], embedder: Embedder, progress: bool, query: bool) -> tuple[np.ndarray, int]:
        prefix = role_prefix(embedder.model_id, query)  # e5 models: what the model really reads
        # A question's vector may differ from the same text's as a passage (an int8 question encoder): its own key,
        # marked before the model's id, where no passage's key can hold it (passage keys stay as they always were).
        role = f"question{'-int8' if getattr(embedder, 'int8_queries', False) else ''}\0" if query else ""

        def key(text: str) -> str:
            return hashlib.sha256(f"{role}{embedder.model_id}\n{prefix}{text}".encode()).hexdigest()

        keys = [key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = self.db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        # Shortest first: batches of similar length waste little on padding.
        missing = sorted(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found), key=len)
        if missing:
            from tqdm import tqdm

            batch = 64
            with tqdm(total=len(missing), desc=f"embedding ({embedder.model_id})", unit="text",
                      disable=None if progress else True) as bar:
                for i in range(0, len(missing), batch):
                    part = missing[i:i + batch]
                    vectors = embedder.embed(part, query=query)
                    fresh = [(key(t), v.astype(np.float32).tobytes()) for t, v in zip(part, vectors)]
                    self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", fresh)
                    found.update((k, np.frombuffer(b, dtype=np.float32)) for k, b in fresh)
                    bar.update(len(part))
            self.db.commit()
        return np.stack([found[k] for k in keys]), len(missing)

    def close(self) -> None:
        self.db.close()
