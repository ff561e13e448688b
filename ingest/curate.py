"""Review decisions -> knowledge files: questions attached to passages and regression checks, carried by a new version.

An attach decision adds the question under its paragraph's anchor in `questions/<document>.md` and an `answer`
check whose expected phrases come from that passage; a not-covered decision adds the question to the known gaps
(`gaps.md`, under REVIEWED_TOPIC, whom to ask being the contact a decline names) and an `abstain` check. The files are
handed to the knowledge admin as one Change: nothing in knowledge/ changes unless the version built with it passes
the gate and publishes, and only then are the decisions marked applied.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from advisor.documents import LANGUAGES
from advisor.gaps import GAPS_FILE, REVIEWED_TOPIC
from advisor.passages import Passage
from advisor.review import ATTACH, UNCOVERED, Entry, ReviewQueue, question_key
from advisor.settings import Settings
from advisor.store import Snapshot
from advisor.strings import t
from advisor.text import collapse_space, fold

from .formats.markdown import front_matter
from .gate import REVIEW_CHECKS
from .report import IngestReport, Suspect
from .service import KnowledgeAdmin
from .sources import Change

QUESTIONS = "questions"
PHRASE_WORDS = 12  # an expected phrase: the opening words of one sentence, enough to name it and no other
GAPS_HEADER = ("# Known gaps\n\nQuestions researchers ask that the guidance does not answer, by topic, with whom to ask "
               "instead (docs/knowledge-format.md).\n")


@dataclass(frozen=True)
class Curation:
    """The files the pending decisions make, which entries they carry, and those that could not be carried."""

    change: Change
    entries: tuple[int, ...]
    left: tuple[tuple[int, str], ...] = ()  # (entry, why): its passage is gone from the serving version
    abstain: tuple[tuple[int, str], ...] = ()  # (entry, check): a not-covered decision and its check that it is declined


def curation(pending: list[Entry], snapshot: Snapshot, read: Callable[[str], bytes | None], checks_name: str,
             contacts: Mapping[str, str] | None = None) -> Curation:
    """The Change that carries `pending` decisions into the knowledge, over the current files `read` returns;
    `contacts` (language -> whom a decline names) is whom the gaps file says to ask about a not-covered question."""
    questions: dict[str, str] = {}  # file name -> its new text
    gaps = (read(GAPS_FILE) or b"").decode("utf-8")
    contacts = contacts or {language: t(language, "contact") for language in LANGUAGES}
    checks = (read(checks_name) or b"").decode("utf-8")
    known = {row.get("id"): row.get("kind") for row in map(json.loads, filter(str.strip, checks.splitlines()))}
    lines, carried, left, abstain = [], [], [], []
    for entry in pending:
        check_id = review_check_id(entry.language, entry.question)
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
            gaps = with_gap(gaps, REVIEWED_TOPIC, contacts, entry.language, entry.question)
            row = {"id": check_id, "lang": entry.language, "question": entry.question, "expect_any": [], "kind": "abstain"}
            if known.get(check_id, "abstain") == "abstain":  # not when the question's check expects an answer already
                abstain.append((entry.id, check_id))
        else:
            continue
        carried.append(entry.id)
        if check_id not in known:
            lines.append(json.dumps(row | {"source": "review"}, ensure_ascii=False))
    put = {name: text.encode("utf-8") for name, text in questions.items()}
    if gaps != (read(GAPS_FILE) or b"").decode("utf-8"):
        put[GAPS_FILE] = gaps.encode("utf-8")
    if lines:
        put[checks_name] = (checks.rstrip("\n") + "\n" if checks.strip() else "").encode("utf-8") + "\n".join(lines).encode("utf-8") + b"\n"
    label = f"review: {len(carried)} decision{'s' if len(carried) != 1 else ''}"
    return Curation(Change(put=put, label=label), tuple(carried), tuple(left), tuple(abstain))


def review_check_id(language: str, question: str) -> str:
    """The id of the check a decision makes: from the question itself, not the entry's number, which only counts within one
    store, so that decisions taken on two stores (two admins' branches of the knowledge) never share an id."""
    digest = hashlib.sha256(f"{language}:{question_key(question)}".encode()).hexdigest()[:12]
    return f"{REVIEW_CHECKS}{language}-{digest}"


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


def with_gap(text: str, topic: str, contacts: Mapping[str, str], language: str, question: str) -> str:
    """The gaps file with `question` under `topic` (a new topic at its end, asking `contacts`, if it has none)."""
    line = f"- [{language}] " + collapse_space(question.replace("<!--", " ").replace("-->", " "))
    text = text if text.strip() else GAPS_HEADER
    if line in text.splitlines():
        return text
    heading = re.search(rf"^##[ \t]+{re.escape(topic)}[ \t]*$", text, re.MULTILINE)
    if heading is None:
        names = [f"Topic [{lang}]: {t(lang, 'reviewed_topic')}" for lang in ("fr", "nl") if topic == REVIEWED_TOPIC]
        asks = [f"Ask: {contacts['en']}"] + [f"Ask [{lang}]: {contacts[lang]}" for lang in ("fr", "nl")
                                              if contacts.get(lang) and contacts[lang] != contacts["en"]]
        return text.rstrip("\n") + f"\n\n## {topic}\n" + "\n".join(names + asks) + f"\n{line}\n"
    following = re.search(r"^##[ \t]", text[heading.end():], re.MULTILINE)
    end = heading.end() + following.start() if following else len(text)
    missing = [f"Topic [{lang}]: {t(lang, 'reviewed_topic')}" for lang in ("fr", "nl") if topic == REVIEWED_TOPIC
               and not re.search(rf"^Topic[ \t]*\[{lang}\]", text[heading.end():end], re.MULTILINE | re.IGNORECASE)]
    named = text[:heading.end()] + "".join(f"\n{name}" for name in missing) + text[heading.end():end]
    return named.rstrip("\n") + f"\n{line}\n" + ("\n" + text[end:] if following else "")


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
def prepare(settings: Settings, queue: ReviewQueue, serving: Mapping[str, bytes]) -> Curation:
    """The pending decisions as a Change over the knowledge folder (or the serving version's files, where the folder
    lacks one); a decision whose passage is gone goes back to the queue."""
    snapshot = queue.advisor.refresh(force=True).snapshot

    def read(name: str) -> bytes | None:
        path = settings.knowledge_dir / name
        return path.read_bytes() if path.is_file() else serving.get(name)

    contacts: dict[str, str] = {language: settings.contact_for(language) or t(language, "contact") for language in LANGUAGES}
    made = curation(queue.pending(), snapshot, read, settings.checks_file, contacts)
    for entry_id, why in made.left:
        queue.reopen(entry_id, why)
    return made


def publish(admin: KnowledgeAdmin, queue: ReviewQueue, actor: str, *, force: bool = False) -> tuple[IngestReport, Curation]:
    """Re-ingest with the pending decisions; when the version publishes, their files are written and they are applied."""
    made = prepare(admin.settings, queue, admin.serving_files())
    report = admin.reingest(actor, extra=made.change, force=force,
                            on_published=lambda r: queue.mark_applied(list(made.entries), r.version))
    explain(report, made, queue)
    return report, made


SUSPECTS_ATTACHED = 3  # at most this many decisions attached to the passage a regressed check now quotes are named


def explain(report: IngestReport, made: Curation, queue: ReviewQueue) -> None:
    """Say in the report what the review decisions did to the build: for each regressed check, the decisions published
    since the version compared with that may have caused it (attached to the passage it now quotes; the decided
    question nearest to it, by the vectors the queue keeps, made by the same embedder); the not-covered decisions
    carried that a document of this build now answers (`advisor review undo` takes them back while not published);
    and those carried that the version still answers."""
    checks = report.checks
    if checks is None or not checks.total:
        return
    carried = [e for e in map(queue.get, made.entries) if e is not None]
    answered = {r.id for r in checks.answered}
    report.filled = {check: entry for entry, check in made.abstain if check in answered}
    untaken = {entry for entry, check in made.abstain if check in checks.failing and check not in answered}
    report.untaken = [(e.id, e.question) for e in carried if e.id in untaken]
    if not checks.regressions:
        return
    decisions: list[tuple[Entry, str | None]] = [(e, None) for e in carried if e.decision in (ATTACH, UNCOVERED)]
    decisions += [(e, queue.applied_in(e.id)) for e in queue.published_since(checks.baseline) if e.id not in made.entries]
    if not decisions:
        return
    vectors = queue.vectors([e.id for e, _ in decisions])
    asked = queue.advisor.embedder.embed([r.question for r in checks.regressions], query=True)
    for regression, vector in zip(checks.regressions, asked):
        vector = vector / (np.linalg.norm(vector) or 1.0)
        named = [Suspect(e.id, ATTACH, e.question, "attached to the passage now quoted", published)
                 for e, published in decisions if e.decision == ATTACH and e.passage_id == regression.now_passage]
        named = named[:SUSPECTS_ATTACHED]
        near = [(float(vectors[e.id] @ vector), e, published) for e, published in decisions
                if e.id in vectors and vectors[e.id].shape == vector.shape]
        if near:
            cosine, e, published = max(near, key=lambda n: n[0])
            if all(s.entry != e.id for s in named):
                named.append(Suspect(e.id, e.decision or "", e.question, f"the decided question nearest to it ({cosine:.2f})",
                                     published))
        report.suspects[regression.id] = named
