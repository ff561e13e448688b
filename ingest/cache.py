"""Vectors kept between ingestions, in SQLite beside the store."""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from advisor.embeddings import Embedder, role_prefix


class EmbeddingCache:
    """Vectors by (model, text), each fused model apart: re-ingesting unchanged passages embeds nothing."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def embed(self, texts: Sequence[str], embedder: Embedder, progress: bool) -> tuple[np.ndarray, int]:
        """The passage vectors of `texts` and how many texts some model had to embed anew."""
        if not texts:
            return np.zeros((0, 0), np.float32), 0
        results = [self._embed_one(texts, part, progress) for part in embedder.parts]
        return np.concatenate([vectors for vectors, _ in results], axis=1), max(n for _, n in results)

    def _embed_one(self, texts: Sequence[str], embedder: Embedder, progress: bool) -> tuple[np.ndarray, int]:
        prefix = role_prefix(embedder.model_id, query=False)  # e5 models: what the model really reads

        def key(text: str) -> str:
            return hashlib.sha256(f"{embedder.model_id}\n{prefix}{text}".encode()).hexdigest()

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
                    vectors = embedder.embed(part)
                    fresh = [(key(t), v.astype(np.float32).tobytes()) for t, v in zip(part, vectors)]
                    self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", fresh)
                    found.update((k, np.frombuffer(b, dtype=np.float32)) for k, b in fresh)
                    bar.update(len(part))
            self.db.commit()
        return np.stack([found[k] for k in keys]), len(missing)

    def close(self) -> None:
        self.db.close()
