"""The regression gate: a new version must answer the checks at least as well as the serving one."""
from __future__ import annotations

from pathlib import Path

from bot.answer import Advisor
from bot.embeddings import Embedder
from bot.evaluate import read_cases, run, summarize
from bot.settings import Settings
from bot.store import KnowledgeStore


def checks_gate(settings: Settings, embedder: Embedder):
    """Return the gate `ingest` calls with (store, new version, serving version, checks file)."""

    def gate(store: KnowledgeStore, new: str, serving: str | None, checks: Path | None) -> dict:
        if checks is None or not checks.exists():
            return {"ok": True, "total": 0, "passed": 0, "hit_at_1": 0.0, "regressions": [], "note": "no checks file"}
        cases = read_cases(checks)
        results = run(Advisor(settings, embedder, store, snapshot=store.load(new)), cases)
        figures = summarize(results)
        outcome = {
            "ok": True, "total": len(results), "passed": sum(r.passed for r in results),
            "hit_at_1": figures["hit_at_1"] or 0.0, "baseline_hit_at_1": None, "regressions": [],
        }
        if serving:
            before = run(Advisor(settings, embedder, store, snapshot=store.load(serving)), cases)
            outcome["baseline_hit_at_1"] = summarize(before)["hit_at_1"] or 0.0
            outcome["regressions"] = [
                {"id": now.case.id, "question": now.case.question, "now": now.quotes[0][:160] if now.quotes else None}
                for old, now in zip(before, results) if old.passed and not now.passed
            ]
            outcome["ok"] = not outcome["regressions"] and outcome["hit_at_1"] >= outcome["baseline_hit_at_1"]
        return outcome

    return gate
