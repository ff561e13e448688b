"""Read an untrusted file in a child process with a memory and a time limit: a parser bug costs that process only.

    python -m ingest.sandbox FILE NAME    prints {"ok": true} or {"error": "<why the file cannot be read>"}
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from advisor.errors import DocumentError
from advisor.settings import Settings

from .limits import Limits

_ROOT = Path(__file__).resolve().parent.parent


def check_untrusted(path: Path, name: str, settings: Settings) -> str:
    """Load `path` as ingestion would, in a child process: its kind, or a DocumentError naming the file and why."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP",)} | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH", "")])),
        "ADVISOR_SANDBOX_MEMORY_MB": str(settings.parse_memory_mb),
        "ADVISOR_SANDBOX_LIMITS": json.dumps(asdict(Limits.of(settings))),
        "OMP_NUM_THREADS": "1",
    }
    try:
        result = subprocess.run([sys.executable, "-m", "ingest.sandbox", str(path), name], env=env,
                                capture_output=True, text=True, timeout=settings.parse_seconds)
    except subprocess.TimeoutExpired:
        raise DocumentError(name, f"reading it took longer than {settings.parse_seconds} s, the limit "
                                  "(ADVISOR_PARSE_SECONDS)") from None
    try:
        outcome = json.loads(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        outcome = {"error": f"reading it needs more than {settings.parse_memory_mb} MB of memory, the limit "
                            "(ADVISOR_PARSE_MEMORY_MB)" if result.returncode < 0 or "MemoryError" in result.stderr
                   else f"the reader stopped unexpectedly (exit status {result.returncode})"}
    if "error" in outcome:
        raise DocumentError(name, outcome["error"])
    return str(outcome.get("kind", ""))


def _main(path: str, name: str) -> int:
    limit = int(os.environ.get("ADVISOR_SANDBOX_MEMORY_MB", "1024")) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from advisor.documents import Document, Translation

    from .load import load

    limits = Limits(**json.loads(os.environ.get("ADVISOR_SANDBOX_LIMITS", "{}")))
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


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1], sys.argv[2]))
