"""The `advisor` command: ingest, ask, chat, eval, serve, review, sources, versions, remove, rollback, audit."""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import textwrap
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError

from advisor.documents import LANGUAGES
from advisor.embeddings import embedder_for
from advisor.errors import AdvisorError
from advisor.settings import Settings

log = logging.getLogger("advisor")


def _shown(error: ErrorDetails) -> str:
    """The bad value of a setting as the message shows it; secrets are never printed."""
    return "<hidden>" if "token" in str(error["loc"][0]) else repr(error.get("input"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="advisor", description="Quotes the policy that answers a researcher's question.")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--store", type=Path, help="knowledge store directory (default: ADVISOR_STORE_DIR or var/store)")
        return p

    p = command("ingest", "Add documents to the serving knowledge (or replace those of the same name) in a new version, "
                          "published if its checks pass. Nothing is removed: see `advisor remove`.")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: ADVISOR_KNOWLEDGE_DIR or knowledge/)")
    p.add_argument("--exact", action="store_true",
                   help="build from exactly these paths, removing every other document (the report names them)")
    p.add_argument("--force", action="store_true", help="rebuild and publish even if nothing changed or a check regressed")
    p.add_argument("--no-checks", action="store_true", help="publish without running the regression checks")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help="wait this long for another ingestion to finish")
    p.add_argument("--json", action="store_true", help="print the report as JSON")

    p = command("ask", "Answer one question (or one a line from standard input with '-').")
    p.add_argument("question", help="the question, or '-' to read one a line from standard input")
    p.add_argument("--lang", choices=LANGUAGES, help="the asker's language (default: detected)")
    p.add_argument("--json", action="store_true", help="print one JSON object per answer")

    p = command("chat", "Ask questions in the terminal.")
    p.add_argument("--lang", choices=LANGUAGES)

    p = command("eval", "Score retrieval on a question set (docs/question-sets.md), or on a thread set asked as "
                        "conversations (docs/conversations.md).")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")

    p = command("serve", "Run the web API and widget, and the Telegram bot when a token is configured.")
    p.add_argument("--host", dest="web_host", help="address to listen on (default: ADVISOR_WEB_HOST or 127.0.0.1)")
    p.add_argument("--port", dest="web_port", type=int, help="port to listen on (default: ADVISOR_WEB_PORT or 8000)")
    p = command("review", "The questions the guidance answered badly or not at all, and one decision on each; "
                          "`advisor ingest` then publishes the decisions.")
    p.add_argument("action", nargs="?", choices=["attach", "uncovered", "dismiss", "undo"],
                   help="attach ENTRY PASSAGE: that passage answers it; uncovered ENTRY: the guidance does not cover it; "
                        "dismiss ENTRY: spam or small talk; undo ENTRY: back to the queue, while not yet published "
                        "(default: print the queue)")
    p.add_argument("entry", nargs="?", type=int, help="the entry's id, as the queue shows it")
    p.add_argument("passage", nargs="?", help="for attach: the id of the passage that answers it")
    p.add_argument("--json", action="store_true", help="print the queue as a JSON list")
    p = command("sources", "List the documents of the serving version.")
    p.add_argument("--json", action="store_true")
    p = command("versions", "List the knowledge versions; the serving one is marked.")
    p.add_argument("--json", action="store_true")
    p = command("remove", "Take documents out of the knowledge (with their translations and attached questions) in a "
                          "new version, published if its checks pass; their files go to the store's trash.")
    p.add_argument("names", nargs="+", help="document names as `advisor sources --json` gives them, e.g. guidance/a.md")
    p.add_argument("--force", action="store_true", help="publish even if a check regressed (recorded as forced)")
    p = command("rollback", "Serve the version that served before the serving one (or --to VERSION).")
    p.add_argument("version", nargs="?", help="the version to serve (same as --to)")
    p.add_argument("--to", dest="to", metavar="VERSION", help="the version to serve")
    p = command("audit", "Print the audit log of ingestions, publishes and rollbacks.")
    p.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("httpx", "chromadb", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        given = {"store_dir": args.store, "web_host": getattr(args, "web_host", None), "web_port": getattr(args, "web_port", None)}
        settings = Settings(**{key: value for key, value in given.items() if value is not None})
    except SettingsError as exc:  # a setting that must be JSON and is not, e.g. ADVISOR_ADMIN_TOKENS
        print(f"advisor: a setting is not valid: {str(exc).split(' from source')[0]} (it must be JSON)", file=sys.stderr)
        return 2
    except ValidationError as exc:
        problems = "; ".join(f"ADVISOR_{str(e['loc'][0]).upper()}={_shown(e):}: {e['msg']}" for e in exc.errors())
        print(f"advisor: a setting is not valid: {problems}", file=sys.stderr)
        return 2
    if args.store and args.store.exists() and not args.store.is_dir():
        print(f"advisor: --store {args.store} is a file; it must name the knowledge store's directory "
              "(the one `advisor ingest --store DIR` writes).", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](settings, args)
    except AdvisorError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `advisor ask --json … | head`: the reader left; stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's final flush is quiet too
        return 141


def make_advisor(settings: Settings, summaries: bool = False):
    from advisor.answer import Advisor
    from integrations.chat_model import chat_model_for

    return Advisor(settings, embedder_for(settings), chat_model=chat_model_for(settings) if summaries else None)


def run_ingest(settings: Settings, args) -> int:
    from ingest.build import NO_CHANGE, ingest
    from ingest.gate import checks_gate

    if args.exact and not args.paths:
        raise AdvisorError("--exact builds from exactly the paths given: name them (e.g. `advisor ingest --exact knowledge`).")
    embedder = embedder_for(settings, threads=0)
    carried, queue, change = None, None, NO_CHANGE
    if not args.paths:  # the knowledge folder, with the review decisions waiting for a version
        from advisor.answer import Advisor
        from advisor.review import open_queue
        from ingest.curate import explain, prepare
        from ingest.service import KnowledgeAdmin

        admin = KnowledgeAdmin(settings, embedder)
        if admin.store.current_id():
            queue = open_queue(settings, Advisor(settings, embedder, admin.store))
            carried = prepare(settings, queue, admin.serving_files())
            change = carried.change
    try:
        report = ingest(
            settings, args.paths or None, embedder, exact=args.exact, force=args.force, progress=sys.stderr.isatty(),
            gate=None if args.no_checks else checks_gate(settings, embedder), wait_seconds=args.wait,
            change=change,
        )
        if queue and carried and report.published:
            queue.mark_applied(list(carried.entries), report.version)
        if queue and carried:
            explain(report, carried, queue)
    finally:
        if queue:
            queue.close()
    status = _print_report(report, args.json)
    if carried and not args.json:
        if carried.entries:
            print(f"Review decisions carried: {len(carried.entries)} ({'published' if report.published else 'still pending'}).")
        for entry, why in carried.left:
            print(f"Review entry {entry} is back in the queue: {why}.")
    return status


def _print_report(report, as_json: bool) -> int:
    print(json.dumps(report.to_dict(), ensure_ascii=False) if as_json else report.summary())
    return 0 if (report.published or report.version is None and not report.failed) else 1


def run_review(settings: Settings, args) -> int:
    from advisor.review import ATTACH, open_queue
    from advisor.store import who

    advisor = make_advisor(settings)
    advisor.refresh()
    queue = open_queue(settings, advisor)
    try:
        if args.action is None:
            entries = queue.entries()
            if args.json:
                print(json.dumps([review_row(e) for e in entries], ensure_ascii=False, indent=1))
            else:
                print(review_table(entries) if entries else "The review queue is empty.")
            return 0
        if args.entry is None:
            raise AdvisorError(f"review {args.action}: give the entry's id (see `advisor review`).")
        if args.action == ATTACH and not args.passage:
            raise AdvisorError("review attach: give the entry's id and the id of the passage that answers it.")
        if args.action == "undo":
            undone = queue.undo(args.entry, who())
            print(f"Entry {args.entry} is back in the queue." if undone else f"Entry {args.entry} had no decision to undo.")
            return 0
        changed = queue.decide(args.entry, args.action, who(), args.passage if args.action == ATTACH else None)
        pending = "" if args.action == "dismiss" else "; `advisor ingest` publishes it once the checks pass"
        print(f"Entry {args.entry}: {args.action}" + (f" {args.passage}" if args.action == ATTACH else "")
              + (pending if changed else " was already decided so; nothing changed") + ".")
        return 0
    finally:
        queue.close()


def review_row(entry) -> dict:
    """An entry as `advisor review --json` prints it."""
    data = entry.to_dict()
    return {key: data[key] for key in ("id", "question", "language", "reason", "count", "last_asked", "confidence",
                                       "version", "candidates")} | ({"note": entry.note} if entry.note else {})


def review_table(entries: list) -> str:
    lines = []
    for e in entries:
        lines.append(f"#{e.id}  {e.count}× {e.reason}  [{e.language}]  last {e.last_asked[:16].replace('T', ' ')}  "
                     f"confidence {e.confidence:.2f}\n    {_short(e.question, 100)}" + (f"\n    ({e.note})" if e.note else ""))
        lines.extend(f"    {c.passage_id}  {c.score:.2f}  {c.document}: {_short(c.text, 70)}" for c in e.candidates)
    return "\n".join(lines)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def run_remove(settings: Settings, args) -> int:
    from advisor.store import who
    from ingest.service import KnowledgeAdmin

    admin = KnowledgeAdmin(settings, embedder_for(settings, threads=0))
    status = 0
    for name in args.names:
        status = max(status, _print_report(admin.remove_document(name, who(), force=args.force), False))
    return status


def run_ask(settings: Settings, args) -> int:
    from advisor.errors import QuestionError

    advisor = make_advisor(settings, summaries=True)
    questions = sys.stdin if args.question == "-" else [args.question]
    status = 0
    for line in questions:
        question = line.rstrip("\n")
        if args.question == "-" and not question.strip():
            continue
        try:
            answer = advisor.ask(question, args.lang)
        except QuestionError as exc:
            status = 1
            if args.json:
                refusal: dict[str, object] = {"question": question, "answered": False, "quotes": [], "text": str(exc), "error": str(exc)}
                print(json.dumps(refusal, ensure_ascii=False))
            else:
                print(exc)
            continue
        print(json.dumps(answer.to_dict(), ensure_ascii=False) if args.json else answer.text, flush=True)
    return status


def run_chat(settings: Settings, args) -> int:
    from advisor.conversation import Conversations, ask_in
    from advisor.errors import QuestionError

    try:
        import readline  # noqa: F401  (input() then edits the line: arrow keys, history, Ctrl-A/E)
    except ImportError:  # Python built without it (Windows): plain input
        pass
    advisor = make_advisor(settings, summaries=True)
    advisor.refresh()
    conversations = Conversations.from_settings(settings)
    key = conversations.start()
    print("Collaboration Advisor: ask about working with Russian colleagues (English, français, Nederlands).")
    print("A follow-up (\"and for PhD students?\") is read with the question before; :new starts afresh. "
          "An empty line or Ctrl-D quits.\n")
    while True:
        try:
            question = input("you> ")
        except EOFError:
            print()
            return 0
        if not question.strip():
            return 0
        if question.strip() == ":new":
            conversations.forget(key)
            key = conversations.start()
            print("\n(a new conversation: your next question is read on its own)\n")
            continue
        try:
            answer, _ = ask_in(advisor, conversations, key, question, args.lang)
            print("\n" + wrapped(answer.text) + "\n")
        except QuestionError as exc:
            print(f"\n{wrapped(str(exc))}\n")


def wrapped(text: str, width: int | None = None) -> str:
    """Text folded at word boundaries to the terminal's width (COLUMNS, else 80), its line breaks kept."""
    width = width or min(shutil.get_terminal_size((80, 24)).columns, 100)
    return "\n".join(textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) if line.strip() else ""
                     for line in text.splitlines())


def run_eval(settings: Settings, args) -> int:
    from advisor.evaluate import format_summary, read_cases, read_threads, run, run_threads, summarize

    threads = read_threads(args.file)  # a thread set: each thread asked as one conversation
    cases = read_cases(args.file) if threads is None else []
    advisor = make_advisor(settings)
    advisor.refresh()
    advisor.embedder.embed(["warm-up"])  # latency figures are for a warm model
    summary = summarize(run_threads(advisor, threads) if threads is not None else run(advisor, cases))
    print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1) if args.json else format_summary(summary))
    return 0


def run_serve(settings: Settings, args) -> int:
    from .serve import serve

    return serve(settings)


def run_sources(settings: Settings, args) -> int:
    from advisor.store import open_store

    manifest = open_store(settings).current_manifest()
    if manifest is None:
        raise AdvisorError("No knowledge has been published yet: run `advisor ingest` first.")
    if args.json:
        print(json.dumps([d.to_dict() for d in manifest.documents], ensure_ascii=False, indent=1))
    for d in [] if args.json else manifest.documents:
        print(f"- {d.title} ({d.issuer}, {d.date}; {d.authority}) {d.url}")
        if d.note:
            print(f"  Note: {d.note}")
    return 0


def run_versions(settings: Settings, args) -> int:
    from advisor.store import open_store

    rows = open_store(settings).version_rows()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("No knowledge versions yet: run `advisor ingest`.")
    for r in rows:
        print(f"{'*' if r['serving'] else ' '} {r['id']}  {r['created']}  by {r['created_by']}  "
              f"{r['documents']} documents, {r['passages']} passages" + ("  (forced)" if r["forced"] else ""))
    return 0


def run_rollback(settings: Settings, args) -> int:
    from advisor.store import who
    from ingest.service import KnowledgeAdmin

    if args.version and args.to and args.version != args.to:
        raise AdvisorError(f"Two versions named: {args.version} and --to {args.to}; name one.")
    print(KnowledgeAdmin(settings, embedder_for(settings)).rollback(args.to or args.version, who()).summary())
    return 0


def run_audit(settings: Settings, args) -> int:
    from advisor.store import open_store

    entries = open_store(settings).audit_entries()
    if args.json:
        for entry in entries:
            print(json.dumps(entry, ensure_ascii=False))
        return 0
    if not entries:
        print("The audit log is empty: nothing has been ingested, published or rolled back yet.")
        return 0
    print(audit_table(entries))
    return 0


def audit_table(entries: list[dict], width: int = 60) -> str:
    """The audit log as a table a person reads: one line per entry, details shortened to `width` characters; a
    version published with --force says so in its result, where no shortening hides it."""
    rows = [("when (UTC)", "action", "by", "version", "result", "details")]
    for e in entries:
        details = "; ".join(_audit_details(e))
        rows.append((str(e.get("time", ""))[:16].replace("T", " "), str(e.get("action", "")), str(e.get("actor", "")),
                     str(e.get("version") or ""), str(e.get("result") or "") + (" (forced)" if e.get("forced") else ""),
                     details if len(details) <= width else details[: width - 1] + "…"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip() for row in rows)


def _audit_details(entry: dict) -> list[str]:
    """The facts of an entry worth a glance: what changed, what failed, what the checks said, why."""
    details = []
    if entry.get("change"):
        details.append(str(entry["change"]))
    for key in ("added", "changed", "removed", "kept", "failed", "restored", "trashed"):
        if entry.get(key):
            details.append(f"{len(entry[key])} {key}")
    if entry.get("document"):
        details.append(f"document {entry['document']}" + (" (replaced)" if entry.get("replaced") else ""))
    if entry.get("previous"):
        details.append(f"before {entry['previous']}")
    checks = entry.get("checks")
    if isinstance(checks, dict) and checks.get("total"):
        details.append(f"checks {checks.get('passed')}/{checks['total']}")
    if entry.get("reason"):
        details.append(str(entry["reason"]))
    return details


COMMANDS = {
    "ingest": run_ingest, "ask": run_ask, "chat": run_chat, "eval": run_eval, "serve": run_serve, "review": run_review,
    "sources": run_sources, "versions": run_versions, "remove": run_remove, "rollback": run_rollback, "audit": run_audit,
}

if __name__ == "__main__":
    sys.exit(main())
