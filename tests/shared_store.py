"""What every worker of a test run shares: the models' ONNX export and knowledge/ ingested once.

The store is built by a child process (`python -m tests.shared_store DIR`) that the first worker to collect a test
needing it starts, so that the workers run the tests needing no store meanwhile (tests/conftest.py puts those
first). A fixture that needs the store waits on its lock; if the builder failed, the fixture builds it itself and
says why the builder did not.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .sample_texts import TEXTS

REFERENCE = "all-MiniLM-L6-v2.torch-vectors.npy"  # beside the export, in the run's models directory
RUN_DIR = "COLLAB_ADVISOR_TEST_RUN"  # set by the run's first process (not ADVISOR_: the tests clear those)
ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"


def run_dir() -> Path:
    """The directory this run's processes share (made by pytest_configure of the first one)."""
    return Path(os.environ[RUN_DIR])


def models_dir() -> Path:
    return run_dir() / "models"


def store_dir() -> Path:
    return run_dir() / "knowledge-store"


@contextmanager
def one_at_a_time(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on `lock` across processes: one builds, the others wait and reuse."""
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_models():
    """The default models, as a deployment runs them after its first start: the first caller exports the ONNX
    mirror of all-MiniLM-L6-v2 (through torch), and every caller then loads the mirror."""
    from advisor.embeddings import SentenceTransformerEmbedder, make_embedder
    from advisor.settings import Settings

    spec = Settings(_env_file=None).embedding_model
    models_dir().mkdir(parents=True, exist_ok=True)
    with one_at_a_time(models_dir().with_suffix(".lock")):
        model = make_embedder(spec, models_dir(), threads=0)
        model.embed(["warm-up"])
        exporter = next((p for p in model.parts if isinstance(p, SentenceTransformerEmbedder)), None)
        if exporter is not None:  # it has just exported, with torch loaded: the vectors the export is checked against
            np.save(models_dir() / REFERENCE, exporter.embed(TEXTS))
            model = make_embedder(spec, models_dir(), threads=0)
            model.embed(["warm-up"])
    return model


def reference_vectors() -> np.ndarray | None:
    """The torch model's vectors of tests/sample_texts.TEXTS, from the process that exported this run's ONNX mirror
    (tests/test_embeddings.py compares the mirror's with them); None if the run's export was not made by this run."""
    path = models_dir() / REFERENCE
    return np.load(path) if path.exists() else None


def build(embedder) -> Path:
    """knowledge/ ingested as `advisor ingest` does, and its checks asked once (the store's vector cache then holds
    the check questions, so every copy's gate asks them without the models); once per run. Returns the store."""
    with one_at_a_time(store_dir().with_suffix(".lock")):
        if (run_dir() / "builder.pid").exists() and not (store_dir() / "built").exists():
            log = (run_dir() / "builder.log").read_text(errors="replace")[-3000:]
            warnings.warn(f"The store builder (tests/shared_store.py) did not build the store; building it here. "
                          f"Its log ends:\n{log}", stacklevel=2)
        return _build_holding_the_lock(embedder)


def _build_holding_the_lock(embedder) -> Path:
    from advisor.settings import Settings
    from advisor.store import open_store
    from ingest.build import ingest
    from ingest.gate import checks_gate

    shared = store_dir()
    if not (shared / "built").exists():
        shutil.rmtree(shared, ignore_errors=True)  # a builder that failed half-way
        settings = Settings(_env_file=None, store_dir=shared / "store", knowledge_dir=KNOWLEDGE)
        gate = checks_gate(settings, embedder)
        report = ingest(settings, None, embedder, gate=gate)
        assert report.published, report.summary()
        # The gate once, of the version against itself: the store's vector cache then holds the check questions, as
        # a store's does after its second ingestion, so no copy's gate embeds them again.
        assert gate(open_store(settings), report.version, report.version, KNOWLEDGE / settings.checks_file).total
        (shared / "built").write_text("built\n")
    return shared / "store"


def start_builder() -> None:
    """Start the builder unless another process of this run did; return once it holds the store's lock.

    It runs in a session of its own, without the developer's ADVISOR_* settings: the run's first process ends it
    (`stop_builder`) when the whole run is over, not the worker that started it, which xdist may stop earlier.
    """
    marker = run_dir() / "builder.pid"
    with one_at_a_time(run_dir() / "builder.lock"):
        if marker.exists():
            return
        environment = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
        with open(run_dir() / "builder.log", "w") as log:
            child = subprocess.Popen([sys.executable, "-m", "tests.shared_store", str(run_dir())], cwd=ROOT,
                                     env=environment, stdout=subprocess.PIPE, stderr=log, text=True,
                                     start_new_session=True)
        marker.write_text(str(child.pid))
    assert child.stdout is not None
    child.stdout.readline()  # "building" once it holds the lock, or nothing if it died: the fixtures then build
    child.stdout.close()


def stop_builder() -> None:
    """End the builder if it still runs (the run stopped before it needed the store, or was interrupted)."""
    try:
        pid = int((run_dir() / "builder.pid").read_text())
        if "tests.shared_store" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):  # not a pid reused since
            os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):  # no builder was started, or it is gone
        pass


def forget_old_runs() -> None:
    """Remove what runs that were killed left in the temporary directory (their first process is gone)."""
    for old in Path(tempfile.gettempdir()).glob("advisor-tests-*-*"):
        pid = old.name.split("-")[2]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(old, ignore_errors=True)


def main() -> None:
    os.environ[RUN_DIR] = sys.argv[1]
    store_dir().parent.mkdir(parents=True, exist_ok=True)
    with one_at_a_time(store_dir().with_suffix(".lock")):  # held from the start: the fixtures wait for this build
        print("building", flush=True)
        os.dup2(2, 1)  # nobody reads the pipe after this line: what the models print goes to the log
        _build_holding_the_lock(load_models())


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    main()
