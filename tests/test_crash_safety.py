"""SIGKILL an ingestion at many points: the serving version answers exactly as before, the next run succeeds."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from advisor.answer import Advisor
from advisor.evaluate import read_cases
from advisor.settings import Settings
from advisor.store import KnowledgeStore
from ingest.build import ingest

from .conftest import KNOWLEDGE
from .fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[1]
POINTS = 12


def child(knowledge: Path, store: Path, kill_at: int) -> subprocess.CompletedProcess:
    env = os.environ | {"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tests.crash_ingest", str(knowledge), str(store), str(kill_at)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def answers(store: Path) -> list[tuple[bool, tuple[str, ...]]]:
    advisor = Advisor(Settings(_env_file=None, store_dir=store), HashEmbedder())
    return [(a.answered, tuple(q.passage_id for q in a.quotes))
            for a in (advisor.ask(c.question, c.lang) for c in read_cases(KNOWLEDGE / "checks.jsonl"))]


@pytest.mark.slow
@pytest.mark.long
def test_sigkill_at_many_points_never_breaks_the_serving_version(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    base = tmp_path / "base"
    first = ingest(Settings(_env_file=None, store_dir=base, knowledge_dir=knowledge), None, HashEmbedder())
    before = answers(base)

    # The change the killed ingestions try to publish: one document edited, one added.
    guide = next((knowledge / "guidance").glob("export-control*.md"))
    guide.write_text(guide.read_text() + "\nA new paragraph about sharing software with partners abroad.\n")
    (knowledge / "guidance" / "summer-schools.md").write_text(
        "---\ntitle: Summer schools\nissuer: Test\ndate: 2026-11-01\n---\n# Summer schools\n\n"
        "Summer schools organised with Russian partners are a matter for each researcher to decide.\n")

    probe = tmp_path / "probe"
    shutil.copytree(base, probe)
    total = int(child(knowledge, probe, 10**9).stdout.strip())
    points = sorted({max(1, total * k // (POINTS + 1)) for k in range(1, POINTS + 1)})
    assert len(points) >= 10

    def killed(kill_at: int) -> tuple[Path, subprocess.CompletedProcess]:
        store = tmp_path / f"killed-{kill_at}"
        shutil.copytree(base, store)
        return store, child(knowledge, store, kill_at)

    with ThreadPoolExecutor(2) as pool:  # the children are independent: one per core
        runs = list(zip(points, pool.map(killed, points)))
    for kill_at, (store, result) in runs:
        assert result.returncode == -signal.SIGKILL, (kill_at, result.stderr[-500:])
        assert KnowledgeStore(store).current_id() == first.version, kill_at
        assert answers(store) == before, f"killed at call {kill_at} of {total}"
        report = ingest(Settings(_env_file=None, store_dir=store, knowledge_dir=knowledge), None, HashEmbedder())
        assert report.published and report.added == ["guidance/summer-schools.md"], (kill_at, report.summary())
        assert report.changed == [guide.relative_to(knowledge).as_posix()]
        shutil.rmtree(store)
