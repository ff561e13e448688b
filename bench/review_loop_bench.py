"""Does the review loop make answers better? Replay the tuning halves of the public-FAQ sets as users' questions,
let a scripted admin decide the first N entries of the review queue, publish, and judge on the held-out halves.

The admin reads only what a person reads: the entry's question, its candidate passages, and the expected phrases
of the question (attach to the candidate that holds one; not covered for a question the guidance should decline;
skip when no candidate holds one). Users rate as users do: 👎 when a confident answer quoted the wrong passage.

    .venv/bin/python bench/review_loop_bench.py [--from-store DIR] [--points 0,10,20,all]
"""
from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import ROOT, load_average, print_table  # noqa: E402

from advisor.answer import Advisor  # noqa: E402
from advisor.embeddings import embedder_for  # noqa: E402
from advisor.evaluate import Case, read_cases, run, summarize  # noqa: E402
from advisor.review import ATTACH, UNCOVERED, ReviewQueue  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from advisor.text import collapse_space  # noqa: E402
from ingest.build import ingest  # noqa: E402
from ingest.curate import publish  # noqa: E402
from ingest.service import KnowledgeAdmin  # noqa: E402

SETS = ("public-faq", "public-faq2")
ADMIN = "bench:scripted-admin"


def replay(advisor: Advisor, queue: ReviewQueue, cases: list[Case]) -> dict:
    """Ask every tuning question as a user would; a wrong confident answer gets a 👎."""
    entered = {"declined_or_weak": 0, "thumbs_down": 0, "fine": 0}
    for case in cases:
        answer = advisor.ask(case.question, case.lang)
        if queue.consider(answer) is not None:
            entered["declined_or_weak"] += 1
            continue
        first = answer.quotes[0].text.lower() if answer.quotes else ""
        wrong = (not any(e.lower() in first for e in case.expect_any)) if case.kind == "answer" else answer.answered
        if wrong and answer.answered:
            queue.thumbs_down((answer.question, answer.language))
            entered["thumbs_down"] += 1
        else:
            entered["fine"] += 1
    return entered


def decide(queue: ReviewQueue, entry_id: int, cases: dict[str, Case]) -> str:
    """The scripted admin's decision on one entry: attach, uncovered or skip."""
    entry = queue.get(entry_id)
    if entry is None or entry.status != "open":
        return "skip"
    case = cases.get(collapse_space(entry.question))
    if case is None:
        return "skip"
    if case.kind == "abstain":
        queue.decide(entry.id, UNCOVERED, ADMIN)
        return UNCOVERED
    phrases = [e.lower() for e in case.expect_any]
    for candidate in entry.candidates:
        if any(p in candidate.text.lower() for p in phrases):
            queue.decide(entry.id, ATTACH, ADMIN, candidate.passage_id)
            return ATTACH
    return "skip"


def publish_as_a_person_would(admin: KnowledgeAdmin, queue: ReviewQueue) -> dict:
    """Publish; when the gate refuses because an attachment now makes another question quote its passage, undo the
    attachments to the passages the regressions now quote (what the gate's report names) and publish again."""
    report, carried = publish(admin, queue, ADMIN)
    print(report.summary(), file=sys.stderr)
    refused, undone = None, 0
    if not report.published and report.checks and report.checks.regressions:
        refused = report.reason
        quoted = [r.now for r in report.checks.regressions if r.now]
        passages = queue.advisor.refresh(force=True).snapshot.passages
        for entry in queue.pending():
            passage = passages.get(entry.passage_id or "")
            if entry.decision == ATTACH and passage and any(q in passage.text for q in quoted):
                undone += queue.undo(entry.id, ADMIN)
        report, carried = publish(admin, queue, ADMIN)
        print(report.summary(), file=sys.stderr)
    return {"published": report.published, "version": report.version, "reason": report.reason, "refused_first": refused,
            "undone": undone, "carried": len(carried.entries),
            "checks": f"{report.checks.passed}/{report.checks.total}" if report.checks else None}


def judge(settings: Settings, embedder, cases: list[Case]) -> dict:
    advisor = Advisor(settings, embedder)
    advisor.refresh(force=True)
    results = run(advisor, cases)
    figures = summarize(results).overall
    answer = [r for r in results if r.case.kind == "answer"]
    abstain = [r for r in results if r.case.kind == "abstain"]
    return {"version": advisor.version, "hit_at_1": figures.hit_at_1, "hits": sum(r.rank == 1 for r in answer),
            "answer_questions": len(answer), "declined_answerable": sum(not r.answered for r in answer),
            "abstain_questions": len(abstain), "declined_abstain": sum(not r.answered for r in abstain),
            "declines": sum(not r.answered for r in results)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-store", type=Path, help="copy this store built from knowledge/ instead of building one")
    parser.add_argument("--points", default="0,10,20,all", help="numbers of queue entries the admin decides")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "review_loop_bench.json")
    args = parser.parse_args()
    started = time.perf_counter()
    tune = [c for name in SETS for c in read_cases(ROOT / "eval" / f"{name}.tune.jsonl")]
    heldout = [c for name in SETS for c in read_cases(ROOT / "eval" / f"{name}.heldout.jsonl")]
    by_question = {collapse_space(c.question): c for c in tune}
    with tempfile.TemporaryDirectory(prefix="review-loop-") as tmp:
        knowledge, store = Path(tmp) / "knowledge", Path(tmp) / "store"
        shutil.copytree(ROOT / "knowledge", knowledge)
        settings = Settings(_env_file=None, store_dir=store, knowledge_dir=knowledge)
        embedder = embedder_for(settings, threads=0)
        if args.from_store:
            shutil.copytree(args.from_store, store)
            for stale in ("review.sqlite", "review.sqlite-wal", "review.sqlite-shm", "activity.sqlite"):
                (store / stale).unlink(missing_ok=True)
        else:
            assert ingest(settings, None, embedder).published
        admin = KnowledgeAdmin(settings, embedder)
        advisor = Advisor(settings, embedder, admin.store)
        queue = ReviewQueue(store / "review.sqlite", advisor)
        entered = replay(advisor, queue, tune)
        order = [e.id for e in queue.entries()]
        print(f"queue after replaying {len(tune)} tuning questions: {len(order)} entries {entered}", file=sys.stderr)
        points = [len(order) if p == "all" else min(int(p), len(order)) for p in args.points.split(",")]
        rows, done, decisions = [], 0, {ATTACH: 0, UNCOVERED: 0, "skip": 0}
        for n in points:
            for entry_id in order[done:n]:
                decisions[decide(queue, entry_id, by_question)] += 1
            publish_report = None
            if n > done:
                publish_report = publish_as_a_person_would(admin, queue)
                decisions[ATTACH] -= publish_report["undone"]
                decisions["undone"] = decisions.get("undone", 0) + publish_report["undone"]
            done = max(done, n)
            ends = n in (points[0], points[-1])  # the in-sample figure, first and last: half the time of a point
            row = {"n": n, "decisions": dict(decisions), "publish": publish_report,
                   "heldout": judge(settings, embedder, heldout), "tune": judge(settings, embedder, tune) if ends else None}
            rows.append(row)
            print(f"N={n}: held-out hit@1 {row['heldout']['hit_at_1']}, declines {row['heldout']['declines']}", file=sys.stderr)
        queue.close()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    result = {"commit": commit, "date": datetime.now(UTC).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "load_average": load_average()},
              "libraries": {name: version(name) for name in ("chromadb", "numpy", "onnxruntime", "tokenizers")},
              "model": embedder.model_id, "sets": list(SETS), "tune_questions": len(tune),
              "heldout_questions": len(heldout), "queue_entries": len(order), "entered": entered, "points": rows,
              "seconds": round(time.perf_counter() - started, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print_table(["N decided", "attach", "uncovered", "skip", "undone", "held-out hit@1", "held-out declines", "tuning hit@1"],
                [[r["n"], r["decisions"].get(ATTACH, 0), r["decisions"].get(UNCOVERED, 0), r["decisions"].get("skip", 0),
                  r["decisions"].get("undone", 0), f"{r['heldout']['hits']}/{r['heldout']['answer_questions']}",
                  r["heldout"]["declines"], f"{r['tune']['hits']}/{r['tune']['answer_questions']}" if r["tune"] else ""]
                 for r in rows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
