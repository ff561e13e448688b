"""Read an untrusted file in a child process with a memory and a time limit: a parser bug costs that process only.

    python -m ingest.sandbox FILE NAME    prints {"ok": true} or {"error": "<why the file cannot be read>"}
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.errors import DocumentError

from .limits import Limits, default_limits

if TYPE_CHECKING:  # the child reads its limits from its parent, without loading the settings (pydantic)
    from advisor.settings import Settings

_ROOT = Path(__file__).resolve().parent.parent
_PASSED = {"PATH", "LANG", "LANGUAGE", "TMPDIR", "HOME", "PYTHONHASHSEED"}


def check_untrusted(path: Path, name: str, settings: Settings) -> str:
    """Load `path` as ingestion would, in a child process: its kind, or a DocumentError naming the file and why."""
    # Only what a Python process needs: the tokens and secrets of the server never reach the parser of a hostile file.
    env = {k: v for k, v in os.environ.items() if k in _PASSED or k.startswith("LC_")} | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH", "")])),
        "ADVISOR_SANDBOX_SECONDS": str(settings.parse_seconds),
        "ADVISOR_SANDBOX_MEMORY_MB": str(settings.parse_memory_mb),
        "ADVISOR_SANDBOX_LIMITS": json.dumps(asdict(Limits.of(settings))),
        "OMP_NUM_THREADS": "1",
    }
    with tempfile.TemporaryFile() as errors:  # a parser's warnings go to a file, not into the server's memory
        try:
            result = subprocess.run([sys.executable, "-m", "ingest.sandbox", str(path), name], env=env, cwd=_ROOT,
                                    stdout=subprocess.PIPE, stderr=errors, text=True, timeout=settings.parse_seconds)
        except subprocess.TimeoutExpired:
            raise DocumentError(name, f"reading it took longer than {settings.parse_seconds} s, the limit "
                                      "(ADVISOR_PARSE_SECONDS)") from None
        errors.seek(max(0, errors.seek(0, os.SEEK_END) - 4096))
        error_tail = errors.read().decode("utf-8", "replace")
    try:
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        if result.returncode == -signal.SIGXCPU:
            why = f"reading it took longer than {settings.parse_seconds} s, the limit (ADVISOR_PARSE_SECONDS)"
        elif result.returncode < 0 or "MemoryError" in error_tail:
            why = f"reading it needs more than {settings.parse_memory_mb} MB of memory, the limit (ADVISOR_PARSE_MEMORY_MB)"
        else:
            why = f"the reader stopped unexpectedly (exit status {result.returncode})"
        outcome = {"error": why}
    if "error" in outcome:
        raise DocumentError(name, outcome["error"])
    return str(outcome.get("kind", ""))


def _main(path: str, name: str) -> int:
    limit = int(_from_parent("ADVISOR_SANDBOX_MEMORY_MB", "parse_memory_mb")) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    seconds = int(_from_parent("ADVISOR_SANDBOX_SECONDS", "parse_seconds")) + 1  # the parent's timeout, also as CPU time
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    from advisor.documents import Document, Translation

    from .load import load

    sent = os.environ.get("ADVISOR_SANDBOX_LIMITS")
    limits = Limits(**json.loads(sent)) if sent else default_limits()
    try:
        loaded = load(Path(path), name, limits)
    except DocumentError as exc:
        print(json.dumps({"error": exc.reason}))
        return 0
    except MemoryError:
        print(json.dumps({"error": f"reading it needs more than {limit // 2**20} MB of memory, the limit "
                                   "(ADVISOR_PARSE_MEMORY_MB)"}))
        return 0
    kind = "document" if isinstance(loaded, Document) else "translation" if isinstance(loaded, Translation) else "questions"
    print(json.dumps({"ok": True, "kind": kind}))
    return 0


def _from_parent(variable: str, setting: str) -> str:
    """What the parent set in `variable`; run by hand without it, the setting's default."""
    if variable in os.environ:
        return os.environ[variable]
    from advisor.settings import default

    return str(default(setting))


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1], sys.argv[2]))
