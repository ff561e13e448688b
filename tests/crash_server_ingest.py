"""Child process for the server crash test: ingest into the Chroma server named by ADVISOR_CHROMA_URL, and SIGKILL
itself when the store is about to do `step`: "add_units" (an empty collection exists) or "manifest" (every unit is
written, the manifest not yet)."""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from advisor.settings import Settings
from ingest.build import ingest
from tests.fakes import HashEmbedder


def main() -> None:
    knowledge, store, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def profiler(frame, event, arg):
        if event != "call" or "/advisor/store/" not in frame.f_code.co_filename:
            return
        name = frame.f_code.co_name
        if (step == "add_units" and name == "add_units") or \
                (step == "manifest" and name == "add" and str(frame.f_locals.get("record_id", "")).startswith("manifest:")):
            os.kill(os.getpid(), signal.SIGKILL)

    sys.setprofile(profiler)
    ingest(Settings(_env_file=None, store_dir=store, knowledge_dir=knowledge), None, HashEmbedder(), force=True,
           wait_seconds=15)  # for the lease of a process killed just before
    sys.setprofile(None)
    print("not killed")


if __name__ == "__main__":
    main()
