"""The regression gate: a new version must answer the checks at least as well as the serving one."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.answer import Advisor
from bot.embeddings import Embedder
from bot.evaluate import read_cases, run, summarize
from bot.settings import Settings
from bot.store import KnowledgeStore
from bot.text import collapse_space, without_markup


class _RememberingEmbedder:
    """The embedder, remembering question vectors: the gate asks every check of two versions, in one batch."""

    def __init__(self, inner: Embedder, questions: Sequence[str]) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.memo: dict[str, np.ndarray] = {}
        self.embed([without_markup(collapse_space(q)) for q in questions], query=True)

    def __getattr__(self, name: str):
        if name == "inner":  # not set yet (copy, a failed __init__): no endless lookup
            raise AttributeError(name)
        return getattr(self.inner, name)  # what retrieval reads of the models (parts, dims)

    def embed(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not query or not texts:
            return self.inner.embed(texts, query=query)
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.embed(missing, query=True)))
        return np.stack([self.memo[t] for t in texts])


def checks_gate(settings: Settings, embedder: Embedder):
    """Return the gate `ingest` calls with (store, new version, serving version, checks file)."""

    def gate(store: KnowledgeStore, new: str, serving: str | None, checks: Path | None) -> dict:
        if checks is None or not checks.exists():
            return {"ok": True, "total": 0, "passed": 0, "hit_at_1": 0.0, "regressions": [], "note": "no checks file"}
        cases = read_cases(checks)
        remembering = _RememberingEmbedder(embedder, [c.question for c in cases])
        results = run(Advisor(settings, remembering, store, snapshot=store.load(new)), cases)
        figures = summarize(results)
        outcome = {
            "ok": True, "total": len(results), "passed": sum(r.passed for r in results),
            "hit_at_1": figures["hit_at_1"] or 0.0, "baseline_hit_at_1": None, "regressions": [],
        }
        if serving and store.manifest(serving).model != embedder.model_id:
            outcome["note"] = "the serving version was built with other models, so there is nothing to compare with"
        elif serving:
            before = run(Advisor(settings, remembering, store, snapshot=store.load(serving)), cases)
            outcome["baseline_hit_at_1"] = summarize(before)["hit_at_1"] or 0.0
            outcome["regressions"] = [
                {"id": now.case.id, "question": now.case.question, "now": now.quotes[0][:160] if now.quotes else None}
                for old, now in zip(before, results) if old.passed and not now.passed
            ]
            outcome["ok"] = not outcome["regressions"] and outcome["hit_at_1"] >= outcome["baseline_hit_at_1"]
        return outcome

    return gate
