"""What was asked, what was answered, feedback and change-notice subscribers: one SQLite file in the store."""
from __future__ import annotations

import hmac
import json
import logging
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from .answer import Answer
from .store import now_iso
from .text import is_small_talk, language_of

log = logging.getLogger("advisor.journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY, time TEXT, channel TEXT, user TEXT, question TEXT, language TEXT,
    answered INTEGER, version TEXT, quotes TEXT);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, time TEXT, channel TEXT, user TEXT, question_id INTEGER, rating INTEGER,
    question TEXT, version TEXT, quotes TEXT);
CREATE TABLE IF NOT EXISTS subscribers (chat_id INTEGER PRIMARY KEY, language TEXT, since TEXT);
"""


@dataclass(frozen=True)
class Recorded:
    """A question in the log: its id, and the token that alone lets its asker rate the answer."""

    question_id: int
    feedback_token: str


class Journal:
    """Thread-safe; every channel writes here so admins see one picture.

    Bookkeeping never costs an answer: when the log cannot be written (a full disk, a read-only store), the
    failure is logged once, `problem` says what is wrong, and questions are answered without being recorded.
    """

    def __init__(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL keeps it consistent; a crash may lose the last rows
        self._db.executescript(_SCHEMA)
        # Columns added since the first logs were written: feedback tokens, small talk, a comment with a vote.
        for table, column in (("questions", "token TEXT"), ("questions", "small_talk INTEGER DEFAULT 0"),
                              ("feedback", "comment TEXT")):
            if column.split()[0] not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        self._lock = threading.Lock()
        self.problem: str | None = None  # why the log cannot be written, while it cannot

    def _failed(self, what: str, exc: Exception) -> None:
        if self.problem is None:
            log.error("cannot %s; answers go on without it: %s", what, exc)
        self.problem = f"the activity log cannot be written ({exc})"

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    def record_question(self, channel: str, user: str, answer: Answer) -> Recorded | None:
        """Log a question and its answer; None when the log cannot be written (the answer stands all the same).

        Small talk ("Thanks!", an emoji, a bare link) is marked as such, not counted as a question left uncovered;
        the language is the question's own, also when it is one the advisor does not answer in ("de", "ru", "other").
        """
        quotes = json.dumps([{"passage_id": q.passage_id, "document": q.document, "text": q.text} for q in answer.quotes],
                            ensure_ascii=False)
        token = secrets.token_urlsafe(16)
        chat = answer.small_talk or is_small_talk(answer.question)
        row = (now_iso(), channel, user, answer.question, language_of(answer.question, answer.language), int(answer.answered),
               answer.version, quotes, token, int(chat))
        try:
            cur = self._run("INSERT INTO questions (time, channel, user, question, language, answered, version, quotes, token, "
                            "small_talk) VALUES (?,?,?,?,?,?,?,?,?,?)", row)
        except (sqlite3.Error, OSError, UnicodeError) as exc:
            self._failed("record a question", exc)
            return None
        self.problem = None
        assert cur.lastrowid is not None  # an INSERT always sets it
        return Recorded(cur.lastrowid, token)

    def record_feedback(self, question_id: int, rating: int, channel: str, user: str, *, token: str | None = None,
                        comment: str | None = None) -> bool:
        """Store +1 or -1 for a logged answer, with the quotes it showed and an optional comment: one vote per answer
        (a second replaces the first; a comment sent after a vote comes with it again).

        The vote counts only from whoever got the answer: with its feedback token (web), or as the same user on
        the same channel (Telegram, whose ids the log holds). False when the question is unknown or not theirs.
        """
        row = self._run("SELECT question, version, quotes, channel, user, token FROM questions WHERE id = ?",
                        (question_id,)).fetchone()
        if row is None:
            return False
        if token is not None:
            if not row[5] or not hmac.compare_digest(token.encode(), row[5].encode()):
                return False
        elif (row[3], row[4]) != (channel, user):
            return False
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute("DELETE FROM feedback WHERE question_id = ?", (question_id,))
                self._db.execute(
                    "INSERT INTO feedback (time, channel, user, question_id, rating, question, version, quotes, comment) "
                    "VALUES (?,?,?,?,?,?,?,?,?)",
                    (now_iso(), channel, user, question_id, 1 if rating > 0 else -1, *row[:3], comment or None))
                self._db.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            with self._lock:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            self._failed("record feedback", exc)
            return False
        return True

    def question(self, question_id: int) -> tuple[str, str] | None:
        """The words and language of a logged question."""
        row = self._run("SELECT question, language FROM questions WHERE id = ?", (question_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def stats(self) -> dict:
        q = self._run("SELECT COUNT(*), COALESCE(SUM(answered), 0) FROM questions WHERE NOT small_talk").fetchone()
        f = self._run("SELECT COALESCE(SUM(rating > 0), 0), COALESCE(SUM(rating < 0), 0) FROM feedback").fetchone()
        by_channel = dict(self._run("SELECT channel, COUNT(*) FROM questions GROUP BY channel").fetchall())
        return {"questions": q[0], "answered": q[1], "not_covered": q[0] - q[1],
                "helpful": f[0], "not_helpful": f[1], "by_channel": by_channel,
                "small_talk": self._run("SELECT COUNT(*) FROM questions WHERE small_talk").fetchone()[0],
                "subscribers": self._run("SELECT COUNT(*) FROM subscribers").fetchone()[0]}

    def daily(self, since: str) -> list[tuple[str, str, int, int]]:
        """(day, language, questions, declined) for every day from `since` (YYYY-MM-DD) on, oldest first."""
        rows = self._run("SELECT substr(time, 1, 10) AS day, language, COUNT(*), COUNT(*) - COALESCE(SUM(answered), 0) "
                         "FROM questions WHERE time >= ? GROUP BY day, language ORDER BY day, language", (since,)).fetchall()
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def gaps(self, limit: int = 20) -> list[dict]:
        """Recent questions the guidance did not cover: what to write next."""
        rows = self._run(
            "SELECT time, channel, question, language FROM questions WHERE answered = 0 AND NOT small_talk ORDER BY id DESC LIMIT ?",
            (limit,)
        ).fetchall()
        return [{"time": r[0], "channel": r[1], "question": r[2], "language": r[3]} for r in rows]

    def recent_feedback(self, limit: int = 20) -> list[dict]:
        rows = self._run("SELECT time, channel, rating, question, version, quotes, comment FROM feedback ORDER BY id DESC LIMIT ?",
                         (limit,)).fetchall()
        return [{"time": r[0], "channel": r[1], "rating": r[2], "question": r[3], "version": r[4],
                 "quotes": [q.get("text") for q in json.loads(r[5] or "[]")], "comment": r[6]} for r in rows]

    def subscribe(self, chat_id: int, language: str) -> bool:
        cur = self._run("INSERT OR IGNORE INTO subscribers VALUES (?,?,?)", (chat_id, language, now_iso()))
        return cur.rowcount > 0

    def unsubscribe(self, chat_id: int) -> bool:
        return self._run("DELETE FROM subscribers WHERE chat_id = ?", (chat_id,)).rowcount > 0

    def subscribers(self) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self._run("SELECT chat_id, language FROM subscribers").fetchall()]

    def close(self) -> None:
        self._db.close()
