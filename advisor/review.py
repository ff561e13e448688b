"""The review queue: questions the guidance answered badly or not at all, grouped, each waiting for one decision.

A question enters when it was declined, answered with a weak match, or rated not helpful. Nothing personal is kept:
the question's words, its language, when and how often it was asked, and what the serving version would quote.
The decisions (attach to a passage, not covered, dismiss) change no knowledge here; ingest/curate.py turns the
pending ones into files that a new version must carry through the gate.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .answer import Advisor, Answer
from .errors import AlreadyDecided, EntryGone, ReviewError, UnknownPassage
from .settings import Settings
from .store import now_iso
from .text import collapse_space, fold, is_small_talk, is_supported_language, words

log = logging.getLogger("advisor.review")

CANDIDATES = 5  # passages shown with each entry: enough that the right one is usually among them
NEAR = 0.97  # cosine of two question vectors above which they are one question in other words (punctuation, a typo)

DECLINED, WEAK, THUMBS_DOWN = "declined", "weak", "thumbs_down"
ANSWERED = "answered"  # answered with confidence, though an admin marked it not covered: the gap did not take
ATTACH, UNCOVERED, DISMISS = "attach", "uncovered", "dismiss"
DECISIONS = (ATTACH, UNCOVERED, DISMISS)
OPEN, PENDING, APPLIED, DISMISSED = "open", "pending", "applied", "dismissed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, key TEXT, question TEXT, language TEXT, reason TEXT, count INTEGER,
    first_asked TEXT, last_asked TEXT, version TEXT, confidence REAL, candidates TEXT, vector BLOB,
    status TEXT, decision TEXT, passage_id TEXT, decided_by TEXT, decided_at TEXT, applied_version TEXT,
    earlier_decision TEXT, earlier_decided_at TEXT);
CREATE INDEX IF NOT EXISTS entries_key ON entries (key);
"""
_ADDED = {"earlier_decision": "TEXT", "earlier_decided_at": "TEXT"}  # columns a queue made before them lacks


@dataclass(frozen=True)
class Candidate:
    passage_id: str
    text: str
    document: str
    score: float


@dataclass(frozen=True)
class Entry:
    """One question as the queue holds it; `count` askers asked it, the last at `last_asked`."""

    id: int
    question: str
    language: str
    reason: str
    count: int
    first_asked: str
    last_asked: str
    version: str  # the version the candidates come from
    confidence: float  # that version's confidence that its first candidate answers
    candidates: tuple[Candidate, ...]
    status: str = OPEN
    decision: str | None = None
    passage_id: str | None = None
    decided_by: str | None = None
    earlier_decision: str | None = None  # the published decision it had before it came back, and when it was taken
    earlier_decided_at: str | None = None

    @property
    def note(self) -> str:
        """Why an entry decided before is in the queue again, or "" for one never decided."""
        when = (self.earlier_decided_at or "")[:10]
        if self.earlier_decision == UNCOVERED:
            return f"marked not covered on {when}, and still answered"
        return f"attached to a passage on {when}, and asked again ({self.reason})" if self.earlier_decision == ATTACH else ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["confidence"] = round(self.confidence, 4)
        data["candidates"] = [asdict(c) | {"score": round(c.score, 4)} for c in self.candidates]
        return data


def reason_for(answer: Answer) -> str | None:
    """Why an answer needs a reviewer, or None: declined (not as a known gap), or quoted below the engine's own
    confidence bar.

    The bar is the one the engine already shows the asker ("the guidance may not answer this directly"): the
    confidence, fitted per language, below which the first quote stops being right four times in five. Below
    it a reviewer's attachment is most likely to change what is quoted; above it the asker's 👎 says so.
    """
    if answer.small_talk or is_small_talk(answer.question) or not is_supported_language(answer.question):
        return None
    if not answer.answered:
        # declined as a known gap: what the knowledge already says it does not cover (an admin's decision, or the
        # gaps file), not a question waiting for one; an asker who disagrees rates it, and the 👎 enters
        return None if answer.known_gap else DECLINED
    return WEAK if answer.weak else None


def question_key(question: str) -> str:
    """The same question in the same words, whatever its case, accents and punctuation."""
    return " ".join(words(fold(collapse_space(question))))


class ReviewQueue:
    """Thread-safe; web and Telegram add to it, admins (web page, CLI) decide. One SQLite file in the store."""

    def __init__(self, path: Path, advisor: Advisor, audit: Callable[..., object] | None = None) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        present = {row[1] for row in self._db.execute("PRAGMA table_info(entries)")}
        for column, kind in _ADDED.items():
            if column not in present:
                self._db.execute(f"ALTER TABLE entries ADD COLUMN {column} {kind}")
        self._lock = threading.Lock()
        self.advisor = advisor
        self.audit = audit or advisor.store.audit  # who decided what goes to the store's audit log

    # Entering ----------------------------------------------------------------------------------------
    def consider(self, answer: Answer) -> int | None:
        """Queue an answered question if it needs a reviewer; the entry's id, or None (also when the queue
        cannot be written: bookkeeping never costs an answer)."""
        reason = reason_for(answer)
        if reason is None and answer.answered and self._marked_uncovered(answer.question):
            reason = ANSWERED  # a gap that did not take: the admin hears of it, or it would go unseen
        return self._safely(answer.question, answer.language, reason) if reason else None

    def _marked_uncovered(self, question: str) -> bool:
        try:
            return self._run("SELECT 1 FROM entries WHERE key = ? AND status = ? AND decision = ? LIMIT 1",
                             (question_key(collapse_space(question)), APPLIED, UNCOVERED)).fetchone() is not None
        except sqlite3.Error as exc:
            log.error("cannot read the review queue: %s", exc)
            return False

    def thumbs_down(self, asked: tuple[str, str] | None) -> int | None:
        """An asker said the answer to (question, language) did not help."""
        if asked is None or is_small_talk(asked[0]):
            return None
        return self._safely(*asked, THUMBS_DOWN)

    def _safely(self, question: str, language: str, reason: str) -> int | None:
        try:
            return self.enter(question, language, reason)
        except (sqlite3.Error, OSError) as exc:
            log.error("cannot add a question to the review queue: %s", exc)
            return None

    def enter(self, question: str, language: str, reason: str) -> int:
        """Add the question, or count it again on the entry of the same (or a nearly identical) question."""
        question = collapse_space(question)
        key = question_key(question)
        version, confidence, hits = self.advisor.candidates(question, language, CANDIDATES)
        candidates = json.dumps([asdict(Candidate(h.passage.id, h.passage.text, h.passage.document, float(h.score)))
                                 for h in hits], ensure_ascii=False)
        vector = np.asarray(self.advisor.embedder.embed([question], query=True)[0], dtype=np.float32)
        vector = vector / (np.linalg.norm(vector) or 1.0)
        now = now_iso()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                same = self._same(key, language, vector)
                if same is None:
                    cur = self._db.execute(
                        "INSERT INTO entries (key, question, language, reason, count, first_asked, last_asked, version, "
                        "confidence, candidates, vector, status) VALUES (?,?,?,?,1,?,?,?,?,?,?,?)",
                        (key, question, language, reason, now, now, version, confidence, candidates, vector.tobytes(), OPEN))
                    entry_id = cur.lastrowid
                else:
                    entry_id, status, decision, attached = same
                    # An attachment that did not help puts the question back in front of a reviewer: declined, rated
                    # not helpful, or weak with another passage first. Quoted first but weak, it did what it could.
                    # A question marked not covered that is still answered comes back too: the gap did not take.
                    quoted = bool(hits) and hits[0].passage.id == attached
                    reopen = status == APPLIED and (decision == ATTACH and not (reason == WEAK and quoted)
                                                    or decision == UNCOVERED and reason in (WEAK, ANSWERED))
                    self._db.execute(
                        "UPDATE entries SET count = count + 1, last_asked = ?, reason = ?, version = ?, confidence = ?, "
                        "candidates = ?" + (", status = 'open', earlier_decision = decision, earlier_decided_at = decided_at, "
                                            "decision = NULL, passage_id = NULL" if reopen else "")
                        + " WHERE id = ?", (now, reason, version, confidence, candidates, entry_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        assert entry_id is not None
        return entry_id

    def _same(self, key: str, language: str, vector: np.ndarray) -> tuple[int, str, str | None, str | None] | None:
        """(id, status, decision, passage) of the entry of the same or a nearly identical question, if any."""
        row = self._db.execute("SELECT id, status, decision, passage_id FROM entries WHERE key = ? ORDER BY id LIMIT 1",
                               (key,)).fetchone()
        if row:
            return row[0], row[1], row[2], row[3]
        best, best_id = NEAR, None
        for entry_id, blob, status, decision, passage_id in self._db.execute(
                "SELECT id, vector, status, decision, passage_id FROM entries WHERE language = ?", (language,)):
            other = np.frombuffer(blob, dtype=np.float32)
            if other.shape == vector.shape and float(other @ vector) >= best:
                best, best_id = float(other @ vector), (entry_id, status, decision, passage_id)
        return best_id

    # Reading -----------------------------------------------------------------------------------------
    def entries(self, statuses: tuple[str, ...] = (OPEN,)) -> list[Entry]:
        """Most-asked first, then newest; candidates from the serving version (recomputed when another serves)."""
        marks = ",".join("?" * len(statuses))
        rows = self._run(f"SELECT {_COLUMNS} FROM entries WHERE status IN ({marks}) ORDER BY count DESC, last_asked DESC, "
                         "id DESC", statuses).fetchall()
        return [self._current(_entry(row)) for row in rows]

    def get(self, entry_id: int) -> Entry | None:
        row = self._run(f"SELECT {_COLUMNS} FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return self._current(_entry(row)) if row else None

    def _current(self, entry: Entry) -> Entry:
        serving = self.advisor.refresh().snapshot.info.id
        if entry.status != OPEN or serving is None or entry.version == serving:
            return entry
        version, confidence, hits = self.advisor.candidates(entry.question, entry.language, CANDIDATES)
        candidates = tuple(Candidate(h.passage.id, h.passage.text, h.passage.document, float(h.score)) for h in hits)
        self._run("UPDATE entries SET version = ?, confidence = ?, candidates = ? WHERE id = ?",
                  (version, confidence, json.dumps([asdict(c) for c in candidates], ensure_ascii=False), entry.id))
        return Entry(**(asdict(entry) | {"version": version, "confidence": confidence, "candidates": candidates}))

    def pending(self) -> list[Entry]:
        """Decided, waiting for a version built with them to publish."""
        rows = self._run(f"SELECT {_COLUMNS} FROM entries WHERE status = ? ORDER BY id", (PENDING,)).fetchall()
        return [_entry(row) for row in rows]

    def published_since(self, version: str | None) -> list[Entry]:
        """Attach and not-covered decisions applied in a version after `version` (all of them for None)."""
        rows = self._run(f"SELECT {_COLUMNS} FROM entries WHERE status = ? AND decision IN (?, ?) AND applied_version > ? "
                         "ORDER BY id", (APPLIED, ATTACH, UNCOVERED, version or "")).fetchall()
        return [_entry(row) for row in rows]

    def applied_in(self, entry_id: int) -> str | None:
        row = self._run("SELECT applied_version FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return row[0] if row else None

    def vectors(self, entry_ids: list[int]) -> dict[int, np.ndarray]:
        """The questions' vectors (unit length), as the queue embedded them when they were first asked."""
        marks = ",".join("?" * len(entry_ids))
        rows = self._run(f"SELECT id, vector FROM entries WHERE id IN ({marks})", tuple(entry_ids)).fetchall() if entry_ids else []
        return {entry_id: np.frombuffer(blob, dtype=np.float32) for entry_id, blob in rows if blob}

    def counts(self) -> dict[str, int]:
        return dict(self._run("SELECT status, COUNT(*) FROM entries GROUP BY status").fetchall())

    # Deciding ----------------------------------------------------------------------------------------
    def decide(self, entry_id: int, decision: str, actor: str, passage_id: str | None = None) -> bool:
        """Take one decision on an open entry; False when the same decision was taken already (a double submit).

        Raises:
            ReviewError: an unknown decision, or attach without a passage.
            EntryGone: no such entry.
            UnknownPassage: the passage is not in the serving version (it came from another one).
            AlreadyDecided: another decision was taken on it first (by another admin, say).
        """
        if decision not in DECISIONS:
            raise ReviewError(f"Unknown decision {decision!r}; use one of {', '.join(DECISIONS)}.")
        if decision == ATTACH:
            if not passage_id:
                raise ReviewError(f"Entry {entry_id}: attach needs the id of the passage that answers it.")
            if self.advisor.passage(passage_id) is None:
                raise UnknownPassage(f"Passage {passage_id!r} is not in the serving knowledge version "
                                     f"{self.advisor.version}; pick one of the entry's current candidates.")
        else:
            passage_id = None
        status = DISMISSED if decision == DISMISS else PENDING
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # two admins at once: the second sees the first's decision
            try:
                row = self._db.execute("SELECT status, decision, passage_id, decided_by, question FROM entries WHERE id = ?",
                                       (entry_id,)).fetchone()
                if row is None:
                    raise EntryGone(f"There is no review entry {entry_id} (any more).")
                if row[0] != OPEN:
                    if (row[1], row[2]) == (decision, passage_id):
                        self._db.execute("COMMIT")
                        return False
                    raise AlreadyDecided(f"Entry {entry_id} was already decided: {row[1]}"
                                         + (f" {row[2]}" if row[2] else "") + f" by {row[3]}.")
                self._db.execute("UPDATE entries SET status = ?, decision = ?, passage_id = ?, decided_by = ?, decided_at = ? "
                                 "WHERE id = ?", (status, decision, passage_id, actor, now_iso(), entry_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        self.audit("review", actor, entry=entry_id, decision=decision, passage=passage_id, question=row[4])
        return True

    def mark_applied(self, entry_ids: list[int], version: str | None) -> None:
        """The decisions are in a published version: they leave the pending list."""
        marks = ",".join("?" * len(entry_ids))
        if entry_ids:
            self._run(f"UPDATE entries SET status = ?, applied_version = ? WHERE status = ? AND id IN ({marks})",
                      (APPLIED, version, PENDING, *entry_ids))

    def undo(self, entry_id: int, actor: str) -> bool:
        """Put a decided entry not yet published (pending or dismissed) back in the queue: a decision that keeps
        failing the gate must not block every later version. False when there was nothing to undo."""
        cur = self._run("UPDATE entries SET status = ?, decision = NULL, passage_id = NULL, decided_by = NULL "
                        "WHERE id = ? AND status IN (?, ?)", (OPEN, entry_id, PENDING, DISMISSED))
        if cur.rowcount == 0:
            if self.get(entry_id) is None:
                raise EntryGone(f"There is no review entry {entry_id} (any more).")
            return False
        self.audit("review_undone", actor, entry=entry_id)
        return True

    def reopen(self, entry_id: int, why: str) -> None:
        """A pending decision that can no longer be carried (its passage is gone) goes back to the queue."""
        self._run("UPDATE entries SET status = ?, decision = NULL, passage_id = NULL WHERE id = ? AND status = ?",
                  (OPEN, entry_id, PENDING))
        self.audit("review_reopened", "advisor", entry=entry_id, reason=why)

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def close(self) -> None:
        self._db.close()


_COLUMNS = ("id, question, language, reason, count, first_asked, last_asked, version, confidence, candidates, status, "
            "decision, passage_id, decided_by, earlier_decision, earlier_decided_at")


def _entry(row: tuple) -> Entry:
    candidates = tuple(Candidate(**c) for c in json.loads(row[9] or "[]"))
    return Entry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], candidates, *row[10:])


def open_queue(settings: Settings, advisor: Advisor) -> ReviewQueue:
    """The queue of the configured store: beside its activity log."""
    return ReviewQueue(settings.store_dir / "review.sqlite", advisor)

