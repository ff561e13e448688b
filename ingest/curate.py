"""Review decisions -> knowledge files: questions attached to passages and regression checks, carried by a new version.

An attach decision adds the question under its paragraph's anchor in `questions/<document>.md` and an `answer`
check whose expected phrases come from that passage; a not-covered decision adds an `abstain` check. The files are
handed to the knowledge admin as one Change: nothing in knowledge/ changes unless the version built with it passes
the gate and publishes, and only then are the decisions marked applied.
"""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from advisor.embeddings import Embedder
from advisor.files import write_atomically
from advisor.passages import Passage
from advisor.review import ATTACH, UNCOVERED, Entry, ReviewQueue
from advisor.settings import Settings
from advisor.store import Snapshot
from advisor.text import collapse_space, fold

from .build import ingest
from .formats.markdown import front_matter
from .gate import Gate, checks_gate
from .report import IngestReport

QUESTIONS = "questions"
PHRASE_WORDS = 12  # an expected phrase: the opening words of one sentence, enough to name it and no other


@dataclass(frozen=True)
class Change:  # until issue 26 lands: the shape of ingest.service.Change
    """What a new version does to the knowledge's files, by name relative to the knowledge folder."""

    put: Mapping[str, bytes] = field(default_factory=dict)
    remove: frozenset[str] = frozenset()
    label: str = ""


@dataclass(frozen=True)
class Curation:
    """The files the pending decisions make, which entries they carry, and those that could not be carried."""

    change: Change
    entries: tuple[int, ...]
    left: tuple[tuple[int, str], ...] = ()  # (entry, why): its passage is gone from the serving version


def curation(pending: list[Entry], snapshot: Snapshot, read: Callable[[str], bytes | None], checks_name: str) -> Curation:
    """The Change that carries `pending` decisions into the knowledge, over the current files `read` returns."""
    questions: dict[str, str] = {}  # file name -> its new text
    checks = (read(checks_name) or b"").decode("utf-8")
    known = {json.loads(line).get("id") for line in checks.splitlines() if line.strip()}
    lines, carried, left = [], [], []
    for entry in pending:
        check_id = f"review-{entry.id}"
        if entry.decision == ATTACH:
            passage = snapshot.passages.get(entry.passage_id or "")
            if passage is None:
                left.append((entry.id, f"passage {entry.passage_id} is not in the serving version {snapshot.info.id}"))
                continue
            name = questions_file(passage.document, snapshot, read, questions)
            text = questions.get(name) or (read(name) or b"").decode("utf-8") or f"---\nquestions_for: {passage.document}\n---\n"
            questions[name] = with_question(text, anchor(passage, snapshot), entry.question)
            row = {"id": check_id, "lang": entry.language, "question": entry.question,
                   "expect_any": expected_phrases(passage, snapshot), "kind": "answer"}
        elif entry.decision == UNCOVERED:
            row = {"id": check_id, "lang": entry.language, "question": entry.question, "expect_any": [], "kind": "abstain"}
        else:
            continue
        carried.append(entry.id)
        if check_id not in known:
            lines.append(json.dumps(row | {"source": "review"}, ensure_ascii=False))
    put = {name: text.encode("utf-8") for name, text in questions.items()}
    if lines:
        put[checks_name] = (checks.rstrip("\n") + "\n" if checks.strip() else "").encode("utf-8") + "\n".join(lines).encode("utf-8") + b"\n"
    label = f"review: {len(carried)} decision{'s' if len(carried) != 1 else ''}"
    return Curation(Change(put=put, label=label), tuple(carried), tuple(left))


def questions_file(document: str, snapshot: Snapshot, read: Callable[[str], bytes | None], made: Mapping[str, str]) -> str:
    """The questions file attached to `document`: the one whose `questions_for` names it, else a new one."""
    stem = Path(document).stem
    for n in range(1, 100):
        name = f"{QUESTIONS}/{stem}.md" if n == 1 else f"{QUESTIONS}/{stem}-{n}.md"
        text = made.get(name) or (read(name) or b"").decode("utf-8")
        if not text:
            return name
        fields, _ = front_matter(name, text)
        if str(fields.get("questions_for", "")).strip() == document:
            return name
    raise ValueError(f"no free questions file name for {document}")


def anchor(passage: Passage, snapshot: Snapshot) -> str:
    """The fewest opening words (at least six) of the passage's paragraph that open no other paragraph of its document."""
    pieces = sorted((p for p in snapshot.passages.values() if p.document == passage.document), key=lambda p: p.position)
    openings = [p for i, p in enumerate(pieces) if i == 0 or pieces[i - 1].paragraph != p.paragraph]
    first = next(p for p in openings if p.paragraph == passage.paragraph)
    tokens = first.text.split()
    for n in range(min(6, len(tokens)), len(tokens) + 1):
        words = " ".join(tokens[:n]).replace("-->", "").replace("<!--", "")
        if sum(fold(collapse_space(p.text)).startswith(fold(words)) for p in openings) == 1:
            return words
    return " ".join(tokens)


def with_question(text: str, opening: str, question: str) -> str:
    """The questions file with `question` under the block anchored at `opening` (a new block at its end if none)."""
    line = "- " + collapse_space(question.replace("<!--", " ").replace("-->", " ")).lstrip("-#* ")
    marker = f"<!-- original: {opening} -->"
    if marker in text:
        start = text.index(marker) + len(marker)
        following = re.search(r"\n\s*\n|\n(?=<!--)", text[start:])
        end = start + following.start() if following else len(text.rstrip("\n"))
        return text[:end].rstrip("\n") + "\n" + line + text[end:]
    return text.rstrip("\n") + f"\n\n{marker}\n{line}\n"


def expected_phrases(passage: Passage, snapshot: Snapshot) -> list[str]:
    """The opening words of each sentence of the passage (and of its paragraph's first piece), kept when no other
    passage holds them: whichever sentence the answer quotes, the check knows it for this passage's."""
    first = min((p for p in snapshot.passages.values() if p.document == passage.document and p.paragraph == passage.paragraph),
                key=lambda p: p.position)
    others = [fold(p.text) for p in snapshot.passages.values() if p.document != passage.document or p.paragraph != passage.paragraph]
    phrases = []
    for piece in dict.fromkeys([passage, first]):
        for start, end in piece.sentences or ((0, len(piece.text)),):
            phrase = " ".join(piece.text[start:end].split()[:PHRASE_WORDS])
            if len(phrase.split()) >= 4 and not any(fold(phrase) in other for other in others):
                phrases.append(phrase)
    return list(dict.fromkeys(phrases)) or [" ".join(passage.text.split()[:PHRASE_WORDS])]


# Publishing ---------------------------------------------------------------------------------------------
def publish(settings: Settings, embedder: Embedder, queue: ReviewQueue, actor: str, *, force: bool = False,
            gate: Gate | None = None, checks: bool = True, wait_seconds: float = 0.0,
            progress: bool = False) -> tuple[IngestReport, Curation]:
    """Re-ingest the knowledge folder with the pending decisions; on publish they are written and marked applied."""
    snapshot = queue.advisor.refresh(force=True).snapshot

    def read(name: str) -> bytes | None:
        path = settings.knowledge_dir / name
        return path.read_bytes() if path.is_file() else None

    made = curation(queue.pending(), snapshot, read, settings.checks_file)
    for entry_id, why in made.left:
        queue.reopen(entry_id, why)
    gate = gate or (checks_gate(settings, embedder) if checks else None)
    report = _build_with(settings, embedder, made.change, actor, force=force, gate=gate, wait_seconds=wait_seconds,
                         progress=progress, on_published=lambda r: queue.mark_applied(list(made.entries), r.version))
    return report, made


def _build_with(settings: Settings, embedder: Embedder, change: Change, actor: str, *, force: bool, gate: Gate | None,
                wait_seconds: float, progress: bool, on_published: Callable[[IngestReport], object]) -> IngestReport:
    """until issue 26 lands: KnowledgeAdmin.reingest(extra=change, on_published=…) does this."""
    if not change.put:
        report = ingest(settings, None, embedder, actor=actor, force=force, gate=gate, wait_seconds=wait_seconds, progress=progress)
        if report.published:
            on_published(report)
        return report
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-review-", dir=settings.store_dir))
    try:
        knowledge = staging / "knowledge"
        shutil.copytree(settings.knowledge_dir, knowledge)
        for name, data in change.put.items():
            (knowledge / name).parent.mkdir(parents=True, exist_ok=True)
            (knowledge / name).write_bytes(data)

        def move_in(report: IngestReport) -> None:
            for name, data in change.put.items():
                write_atomically(settings.knowledge_dir / name, _writer(data))

        staged = settings.model_copy(update={"knowledge_dir": knowledge})
        report = ingest(staged, None, embedder, actor=actor, force=force, gate=gate, wait_seconds=wait_seconds,
                        progress=progress, before_publish=move_in)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if report.published:
        on_published(report)
    return report


def _writer(data: bytes) -> Callable[[str], object]:
    return lambda tmp: Path(tmp).write_bytes(data)
