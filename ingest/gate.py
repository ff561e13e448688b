"""The regression gate: a new version must answer the checks at least as well as the serving one."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from advisor.answer import Advisor
from advisor.embeddings import Embedder
from advisor.evaluate import Result, read_cases, run, summarize
from advisor.settings import Settings
from advisor.store import Snapshot, Store, history
from advisor.text import collapse_space, without_markup

from .cache import VECTOR_CACHE, EmbeddingCache

REVIEW_CHECKS = "review-"  # how the id of a check a review decision made begins (ingest/curate.py)


class _RememberingEmbedder:
    """The embedder, remembering question vectors: the gate asks every check of two versions, each question once.

    The check questions come from the store's vector cache, so they are embedded once for all ingestions: a question
    already seen costs a lookup, not a pass through both models (most of a gate's time before).
    """

    def __init__(self, inner: Embedder, questions: Sequence[str], cache: EmbeddingCache) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        texts = list(dict.fromkeys(without_markup(collapse_space(q)) for q in questions))
        parts, _ = cache.part_vectors(texts, inner, False, query=True) if texts else ([], 0)
        self.known_dims = tuple(v.shape[1] for v in parts)
        self.memo: dict[str, np.ndarray] = dict(zip(texts, np.concatenate(parts, axis=1))) if texts else {}

    @property
    def dims(self) -> tuple[int, ...]:
        """Each model's share of a vector: the models' own once they embedded, else what the cache held."""
        return self.inner.dims or self.known_dims

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
    now_passage: str | None = None  # the id of the passage the new version quotes first
    now_document: str | None = None  # and its document


@dataclass(frozen=True)
class CheckOutcome:
    """What the checks said about a new version: `ok` lets it be published."""

    ok: bool
    total: int
    passed: int
    hit_at_1: float
    baseline_hit_at_1: float | None = None  # of the version compared with, when there is one
    regressions: tuple[Regression, ...] = ()
    note: str = ""
    baseline: str | None = None  # the version compared with: the serving one, or the last good one when it did better
    dropped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # document the new version lacks -> checks
    # that quoted it
    failing: tuple[str, ...] = ()  # the checks the new version does not pass (a not-covered decision's, that did not take)
    failed_before: int = 0  # of those, how many the version compared with failed too: not regressions
    answered: tuple[Regression, ...] = ()  # review `abstain` checks now answered by words the version compared with
    # lacked: the gap an admin marked is filled, so they do not block; the report asks the admin to look

    def to_dict(self) -> dict:
        return asdict(self)


Gate = Callable[[Store, str, str | None, Path | None], CheckOutcome]


def checks_gate(settings: Settings, embedder: Embedder) -> Gate:
    """Return the gate `ingest` calls with (store, new version, serving version, checks file).

    The new version is compared with the serving one and, when another version last passed its checks (the serving
    one was forced, or built from fewer documents), with that one too: the better of the two is the baseline, so
    going back to the whole knowledge is never refused for "regressing" against a broken version.
    """

    def gate(store: Store, new: str, serving: str | None, checks: Path | None) -> CheckOutcome:
        if checks is None or not checks.exists():
            return CheckOutcome(ok=True, total=0, passed=0, hit_at_1=0.0, note="no checks file")
        if not serving:  # the checks guard against regressions; a first version has nothing to regress from
            return CheckOutcome(ok=True, total=0, passed=0, hit_at_1=0.0,
                                note="the first version: nothing to compare with (`advisor eval` shows its figures)")
        cases = read_cases(checks)
        cache = EmbeddingCache(settings.store_dir / VECTOR_CACHE)
        try:
            remembering = _RememberingEmbedder(embedder, [c.question for c in cases], cache)
        finally:
            cache.close()
        snapshot = store.load(new)
        results = run(Advisor(settings, remembering, store, snapshot=snapshot), cases)
        outcome = CheckOutcome(ok=True, total=len(results), passed=sum(r.passed for r in results),
                               hit_at_1=summarize(results).overall.hit_at_1 or 0.0,
                               failing=tuple(r.case.id for r in results if not r.passed))
        candidates = [v for v in dict.fromkeys([serving, history.last_good(store.audit_entries(), store.version_ids())])
                      if v and store.manifest(v).model == embedder.model_id]
        if not candidates:
            return replace(outcome, note="the serving version was built with other models, so there is nothing to compare with")
        compared = {v: store.load(v) for v in candidates}
        runs = {v: run(Advisor(settings, remembering, store, snapshot=compared[v]), cases) for v in candidates}
        baseline = max(candidates, key=lambda v: summarize(runs[v]).overall.hit_at_1 or 0.0)  # ties: the serving one
        before = runs[baseline]
        baseline_hit = summarize(before).overall.hit_at_1 or 0.0
        known = [p.text for p in compared[baseline].passages.values()]  # the words the version compared with held
        worse = [(_regression(old, now, snapshot), _gap_filled(now, known))
                 for old, now in zip(before, results) if old.passed and not now.passed]
        regressions = tuple(r for r, filled in worse if not filled)
        answered = tuple(r for r, filled in worse if filled)
        kept = set(snapshot.documents)
        dropped: dict[str, list[str]] = {}
        for old, now in zip(before, results):
            if old.passed and not now.passed and old.documents and old.documents[0] not in kept:
                dropped.setdefault(old.documents[0], []).append(old.case.id)
        return replace(outcome, baseline_hit_at_1=baseline_hit, regressions=regressions, baseline=baseline,
                       dropped={d: tuple(ids) for d, ids in sorted(dropped.items())}, answered=answered,
                       failed_before=sum(not old.passed and not now.passed for old, now in zip(before, results)),
                       ok=not regressions and outcome.hit_at_1 >= baseline_hit)

    return gate


def _regression(old: Result, now: Result, snapshot: Snapshot) -> Regression:
    """A check the compared version passed and the new one fails: what each quoted first, and where it comes from."""
    return Regression(now.case.id, now.case.question, now.quotes[0][:160] if now.quotes else None,
                      old.quotes[0][:160] if old.quotes else None,
                      touched=bool(old.quotes) and not any(old.quotes[0] in p.text for p in snapshot.passages.values()),
                      now_passage=_quoted(snapshot, now.quotes[0], now.documents[0]) if now.quotes and now.documents else None,
                      now_document=now.documents[0] if now.documents else None)


def _gap_filled(now: Result, known: list[str]) -> bool:
    """A question an admin marked not covered in the review (its `abstain` check), now answered by words no passage of
    the version compared with held (a new document, or new words in one): what the admin was waiting for, not a
    regression. Answered by words that were there already (an attachment or a synonym pulled it over), it is one."""
    return (now.case.kind == "abstain" and now.case.id.startswith(REVIEW_CHECKS) and now.answered and bool(now.quotes)
            and not any(now.quotes[0] in text for text in known))


def _quoted(snapshot, quote: str, document: str) -> str | None:
    """The id of the passage of `document` a quote was taken from."""
    return next((p.id for p in snapshot.passages.values() if p.document == document and quote in p.text), None)
