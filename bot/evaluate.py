"""Question sets (the `advisor eval` format) and the figures that judge retrieval."""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import AdvisorError
from .text import collapse_space


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    question: str
    expect_any: tuple[str, ...]
    kind: str  # "answer" | "abstain"


@dataclass(frozen=True)
class Result:
    case: Case
    answered: bool
    quotes: tuple[str, ...]
    rank: int | None  # 1-based position of the first quote holding an expected phrase
    latency_ms: float

    @property
    def passed(self) -> bool:
        return self.rank == 1 if self.case.kind == "answer" else not self.answered


def read_cases(path: Path) -> list[Case]:
    cases = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AdvisorError(f"Cannot read question set {path}: {exc.strerror}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            case = Case(str(row["id"]), str(row.get("lang", "en")), str(row["question"]),
                        tuple(row.get("expect_any") or ()), str(row.get("kind", "answer")))
        except (ValueError, KeyError, TypeError) as exc:
            raise AdvisorError(f"{path}, line {number}: not a question-set line ({exc})") from exc
        if case.kind not in ("answer", "abstain"):
            raise AdvisorError(f"{path}, line {number}: kind must be 'answer' or 'abstain', got {case.kind!r}")
        cases.append(case)
    return cases


def _fold(text: str) -> str:
    return collapse_space(text).lower()


def run(advisor, cases: Iterable[Case]) -> list[Result]:
    results = []
    for case in cases:
        started = time.perf_counter()
        answer = advisor.ask(case.question, case.lang)
        latency = (time.perf_counter() - started) * 1000
        quotes = tuple(q.text for q in answer.quotes)
        rank = next((i for i, q in enumerate(quotes, 1) if any(_fold(e) in _fold(q) for e in case.expect_any)), None)
        results.append(Result(case, answer.answered, quotes, rank, latency))
    return results


def summarize(results: list[Result]) -> dict:
    summary = _figures(results)
    summary["by_lang"] = {lang: _figures([r for r in results if r.case.lang == lang])
                          for lang in sorted({r.case.lang for r in results})}
    summary["misses"] = [
        {"id": r.case.id, "lang": r.case.lang, "kind": r.case.kind, "question": r.case.question,
         "rank": r.rank, "first_quote": r.quotes[0][:160] if r.quotes else None}
        for r in results if not r.passed
    ]
    return summary


def _figures(results: list[Result]) -> dict:
    answer = [r for r in results if r.case.kind == "answer"]
    abstain = [r for r in results if r.case.kind == "abstain"]
    latencies = sorted(r.latency_ms for r in results)
    first = [len(r.quotes[0]) for r in answer if r.quotes]

    def rate(n: int, d: int) -> float | None:
        return round(n / d, 4) if d else None

    return {
        "n_answer": len(answer),
        "n_abstain": len(abstain),
        "hit_at_1": rate(sum(1 for r in answer if r.rank == 1), len(answer)),
        "hit_at_3": rate(sum(1 for r in answer if r.rank and r.rank <= 3), len(answer)),
        "abstained_correctly": rate(sum(1 for r in abstain if not r.answered), len(abstain)),
        "answered_in_scope": rate(sum(1 for r in answer if r.answered), len(answer)),
        "median_first_quote_chars": statistics.median(first) if first else None,
        "latency_ms": {
            "p50": round(_percentile(latencies, 50), 2) if latencies else None,
            "p95": round(_percentile(latencies, 95), 2) if latencies else None,
        },
    }


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def format_summary(summary: dict) -> str:
    def count(rate: float | None, n: int) -> str:
        return "n/a" if rate is None else f"{round(rate * n)}/{n} ({rate:.0%})"

    lines = []
    for label, figures in [("all", summary)] + sorted(summary["by_lang"].items()):
        na, nx = figures["n_answer"], figures["n_abstain"]
        lines.append(
            f"{label:>4}: hit@1 {count(figures['hit_at_1'], na)}  hit@3 {count(figures['hit_at_3'], na)}  "
            f"answered {count(figures['answered_in_scope'], na)}  abstained {count(figures['abstained_correctly'], nx)}  "
            f"median first quote {figures['median_first_quote_chars']} chars  "
            f"latency p50 {figures['latency_ms']['p50']} ms p95 {figures['latency_ms']['p95']} ms"
        )
    if summary["misses"]:
        lines.append("missed:")
        for m in summary["misses"]:
            got = f"quoted {m['first_quote']!r}" if m["first_quote"] else "quoted nothing"
            lines.append(f"  {m['id']} [{m['lang']}] {m['question']} -> {got}" + (f" (expected at rank {m['rank']})" if m["rank"] else ""))
    return "\n".join(lines)
