"""Child process for the crash tests: ingest, and SIGKILL itself at the N-th call into the write path."""
from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from advisor.settings import Settings
from ingest.build import ingest
from tests.fakes import HashEmbedder

WATCHED = ("/advisor/store/", "/advisor/files.py", "/ingest/", "/chromadb/")


def main() -> None:
    knowledge, store, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    count = 0

    watched: dict[str, bool] = {}  # file -> in the write path; the hook sees every call, so each file is looked up once

    def profiler(frame, event, arg):
        nonlocal count
        if event != "call":
            return
        name = frame.f_code.co_filename
        if name not in watched:
            watched[name] = any(part in name for part in WATCHED)
        if watched[name]:
            count += 1
            if count == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.setprofile(profiler)
    threading.setprofile(profiler)
    ingest(Settings(_env_file=None, store_dir=store, knowledge_dir=knowledge), None, HashEmbedder())
    sys.setprofile(None)
    print(count)


if __name__ == "__main__":
    main()
