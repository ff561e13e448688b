"""One writer per store: an advisory file lock that the kernel releases when its holder dies."""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import IngestBusy
from .audit import now_iso


@contextlib.contextmanager
def write_lock(path: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the lock file at `path`; raise IngestBusy if another process holds it past `wait_seconds`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    with open(path, "a+") as handle:  # closing releases the lock, also when the process is killed
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise IngestBusy(f"Another ingestion is running ({holder}); try again when it has finished.") from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {now_iso()}")
        handle.flush()
        yield
