"""The regression gate: a new version must answer the checks at least as well as the serving one."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from advisor.answer import Advisor
from advisor.embeddings import Embedder
from advisor.evaluate import read_cases, run, summarize
from advisor.settings import Settings
from advisor.store import Store
from advisor.text import collapse_space, without_markup


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


@dataclass(frozen=True)
class Regression:
    id: str
    question: str
    now: str | None  # the start of what the new version quotes first, or None if it quotes nothing
    before: str | None = None  # the start of what the serving version quoted first
    touched: bool = False  # the passage the serving version quoted is no longer in the new version as it was


@dataclass(frozen=True)
class CheckOutcome:
    """What the checks said about a new version: `ok` lets it be published."""

    ok: bool
    total: int
    passed: int
    hit_at_1: float
    baseline_hit_at_1: float | None = None  # of the serving version, when there is one to compare with
    regressions: tuple[Regression, ...] = ()
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


Gate = Callable[[Store, str, str | None, Path | None], CheckOutcome]


def checks_gate(settings: Settings, embedder: Embedder) -> Gate:
    """Return the gate `ingest` calls with (store, new version, serving version, checks file)."""

    def gate(store: Store, new: str, serving: str | None, checks: Path | None) -> CheckOutcome:
        if checks is None or not checks.exists():
            return CheckOutcome(ok=True, total=0, passed=0, hit_at_1=0.0, note="no checks file")
        if not serving:  # the checks guard against regressions; a first version has nothing to regress from
            return CheckOutcome(ok=True, total=0, passed=0, hit_at_1=0.0,
                                note="the first version: nothing to compare with (`advisor eval` shows its figures)")
        cases = read_cases(checks)
        remembering = _RememberingEmbedder(embedder, [c.question for c in cases])
        snapshot = store.load(new)
        results = run(Advisor(settings, remembering, store, snapshot=snapshot), cases)
        outcome = CheckOutcome(ok=True, total=len(results), passed=sum(r.passed for r in results),
                               hit_at_1=summarize(results).overall.hit_at_1 or 0.0)
        if serving and store.manifest(serving).model != embedder.model_id:
            return replace(outcome, note="the serving version was built with other models, so there is nothing to compare with")
        before = run(Advisor(settings, remembering, store, snapshot=store.load(serving)), cases)
        baseline = summarize(before).overall.hit_at_1 or 0.0
        passages = [p.text for p in snapshot.passages.values()]
        regressions = tuple(
            Regression(now.case.id, now.case.question, now.quotes[0][:160] if now.quotes else None,
                       old.quotes[0][:160] if old.quotes else None,
                       touched=bool(old.quotes) and not any(old.quotes[0] in text for text in passages))
            for old, now in zip(before, results) if old.passed and not now.passed)
        return replace(outcome, baseline_hit_at_1=baseline, regressions=regressions,
                       ok=not regressions and outcome.hit_at_1 >= baseline)

    return gate
