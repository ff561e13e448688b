"""Who changed the knowledge, and when: an append-only JSON-lines log."""
from __future__ import annotations

import contextlib
import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def who() -> str:
    """The actor recorded for a command run from a shell."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return f"cli:uid{os.getuid()}"


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, action: str, actor: str, **details) -> dict:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"time": now_iso(), "action": action, "actor": actor, **details}
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def entries(self) -> list[dict]:
        try:
            lines = self.path.read_text().splitlines()
        except FileNotFoundError:
            return []
        entries = []
        for line in lines:
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
        return entries
