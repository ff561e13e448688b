"""The summary's checks over knowledge/checks.jsonl, with LangChain's fake chat models (no provider, no network).

Run from the project root:  .venv/bin/python bench/summary_bench.py --store var/store
For each fake model (honest, one word slipped into the quote, a citation of a passage that does not exist), counts
the answers, the summaries shown, and the quoted words in a shown summary that no shown quote holds (target: 0);
and the time per answer with the honest model beside the time without a model. Writes bench/results/summary_bench.json.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, load_average, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from advisor.answer import Advisor  # noqa: E402
from advisor.embeddings import embedder_for  # noqa: E402
from advisor.evaluate import read_cases  # noqa: E402
from advisor.settings import Settings  # noqa: E402
from bench.fake_chat import honest, inventing, writing  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "summary_bench.json"
QUOTED = re.compile(r"[“„«\"]\s*(.+?)\s*[”“»\"]", re.DOTALL)


def citing_nothing_real(sent) -> str:
    return honest(sent).replace("[1]", "[9]")


def unseen_quotes(shown: dict) -> int:
    """Quoted words of a shown summary that are in none of the shown quotes or translations (the independent count)."""
    if not shown["summary"]:
        return 0
    seen = " ".join(" ".join(f"{q['text']} {q['translation'] or ''}".split()) for q in shown["quotes"])
    return sum(1 for quoted in QUOTED.findall(shown["summary"]) if " ".join(quoted.split()) not in seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", default="var/store")
    parser.add_argument("--checks", default=str(ROOT / "knowledge" / "checks.jsonl"))
    args = parser.parse_args()
    settings = Settings(store_dir=args.store)
    embedder = embedder_for(settings)
    plain = Advisor(settings, embedder)
    snapshot = plain.refresh().snapshot
    cases = read_cases(args.checks)
    for case in cases[:5]:
        plain.ask(case.question, case.lang)  # warm
    rows, report = [], {"load_average_before": load_average(), "questions": len(cases), "models": {}}
    timings: dict[str, list[float]] = {"none": []}
    for name, write in (("honest", honest), ("one word slipped in", inventing), ("cites passage 9", citing_nothing_real)):
        advisor = Advisor(settings, embedder, snapshot=snapshot, chat_model=writing(write))
        statuses: Counter[str] = Counter()
        unseen = 0
        timings[name] = []
        for case in cases:
            start = time.perf_counter()
            shown = advisor.ask(case.question, case.lang).to_dict()
            timings[name].append(time.perf_counter() - start)
            if name == "honest":
                start = time.perf_counter()
                plain.ask(case.question, case.lang)
                timings["none"].append(time.perf_counter() - start)
            statuses[shown["summary_status"]] += 1
            unseen += unseen_quotes(shown)
        answered = sum(n for status, n in statuses.items() if status != "silent")
        rows.append([name, answered, statuses["ok"], unseen, ", ".join(f"{s} {n}" for s, n in statuses.most_common())])
        report["models"][name] = {"answered": answered, "shown": statuses["ok"], "unseen_quotes_shown": unseen,
                                  "statuses": dict(statuses)}
    print_table(["fake model", "answered", "summaries shown", "invented quotes shown", "statuses"], rows)
    p50 = {name: round(1000 * statistics.median(values), 1) for name, values in timings.items()}
    print(f"\nanswer p50: {p50['none']} ms without a model, {p50['honest']} ms with the honest fake model "
          f"(the summary's prompt, thread and checks); load average {load_average()}")
    report |= {"p50_ms": p50, "load_average_after": load_average()}
    write_results(RESULTS, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
