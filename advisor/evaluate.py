"""Question sets (the `advisor eval` format) and the figures that judge retrieval."""
from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
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
    documents: tuple[str, ...] = ()  # the document of each quote

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
        results.append(Result(case, answer.answered, quotes, rank, latency, tuple(q.document for q in answer.quotes)))
    return results


@dataclass(frozen=True)
class Figures:
    """How a set of results scores; rates are None when the set has no question of that kind."""

    n_answer: int
    n_abstain: int
    hit_at_1: float | None
    hit_at_3: float | None
    abstained_correctly: float | None
    answered_in_scope: float | None
    median_first_quote_chars: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None

    @classmethod
    def of(cls, results: list[Result]) -> Figures:
        answer = [r for r in results if r.case.kind == "answer"]
        abstain = [r for r in results if r.case.kind == "abstain"]
        latencies = sorted(r.latency_ms for r in results)
        first = [len(r.quotes[0]) for r in answer if r.quotes]

        def rate(n: int, d: int) -> float | None:
            return round(n / d, 4) if d else None

        return cls(
            n_answer=len(answer),
            n_abstain=len(abstain),
            hit_at_1=rate(sum(1 for r in answer if r.rank == 1), len(answer)),
            hit_at_3=rate(sum(1 for r in answer if r.rank and r.rank <= 3), len(answer)),
            abstained_correctly=rate(sum(1 for r in abstain if not r.answered), len(abstain)),
            answered_in_scope=rate(sum(1 for r in answer if r.answered), len(answer)),
            median_first_quote_chars=statistics.median(first) if first else None,
            latency_p50_ms=round(percentile(latencies, 50), 2) if latencies else None,
            latency_p95_ms=round(percentile(latencies, 95), 2) if latencies else None,
        )

    def to_dict(self) -> dict:
        data = asdict(self)
        data["latency_ms"] = {"p50": data.pop("latency_p50_ms"), "p95": data.pop("latency_p95_ms")}
        return data


@dataclass(frozen=True)
class Miss:
    id: str
    lang: str
    kind: str
    question: str
    rank: int | None
    first_quote: str | None


@dataclass(frozen=True)
class Summary:
    overall: Figures
    by_lang: dict[str, Figures]
    misses: tuple[Miss, ...]

    def to_dict(self) -> dict:
        """The JSON `advisor eval --json` prints: the overall figures, then by language and the misses."""
        return self.overall.to_dict() | {"by_lang": {k: v.to_dict() for k, v in self.by_lang.items()},
                                         "misses": [asdict(m) for m in self.misses]}


def summarize(results: list[Result]) -> Summary:
    return Summary(
        overall=Figures.of(results),
        by_lang={lang: Figures.of([r for r in results if r.case.lang == lang]) for lang in sorted({r.case.lang for r in results})},
        misses=tuple(Miss(r.case.id, r.case.lang, r.case.kind, r.case.question, r.rank, r.quotes[0][:160] if r.quotes else None)
                     for r in results if not r.passed),
    )


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def format_summary(summary: Summary) -> str:
    def count(rate: float | None, n: int) -> str:
        return "n/a" if rate is None else f"{round(rate * n)}/{n} ({rate:.0%})"

    lines = []
    for label, f in [("all", summary.overall), *sorted(summary.by_lang.items())]:
        lines.append(
            f"{label:>4}: hit@1 {count(f.hit_at_1, f.n_answer)}  hit@3 {count(f.hit_at_3, f.n_answer)}  "
            f"answered {count(f.answered_in_scope, f.n_answer)}  abstained {count(f.abstained_correctly, f.n_abstain)}  "
            f"median first quote {f.median_first_quote_chars} chars  "
            f"latency p50 {f.latency_p50_ms} ms p95 {f.latency_p95_ms} ms"
        )
    if summary.misses:
        lines.append("missed:")
        for m in summary.misses:
            got = f"quoted {m.first_quote!r}" if m.first_quote else "quoted nothing"
            lines.append(f"  {m.id} [{m.lang}] {m.question} -> {got}" + (f" (expected at rank {m.rank})" if m.rank else ""))
    return "\n".join(lines)
