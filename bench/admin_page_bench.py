"""How large is the /admin page with a long review queue? 117 entries (the second admin's week), each with its five
candidate passages: the bytes of HTML of the page as it opens, of each page of the queue, and of one language's.

The questions are the users' traffic of the first week (`eval/traffic.jsonl`, in turn English, French, Dutch),
entered as weak matches in a store built from knowledge/; the page is read through the real app as a logged-in admin.
A checkout without paging answers every address with the whole queue, so running this on an older commit gives the
figure before.

    .venv/bin/python bench/admin_page_bench.py [--from-store DIR] [--entries 117]
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from itertools import zip_longest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: this checkout's packages first
from bench._common import ROOT, print_table, write_results  # noqa: E402  (sets the offline environment first)

# isort: split
from fastapi.testclient import TestClient  # noqa: E402

from advisor.settings import Settings  # noqa: E402
from bot.serve import Runtime  # noqa: E402
from bot.web import create_app  # noqa: E402
from ingest.build import ingest  # noqa: E402

TOKEN = "bench-admin-token-0123456789"


def traffic(entries: int) -> list[dict]:
    """The week's questions, one language after the other, as many as asked."""
    asked = [json.loads(line) for line in (ROOT / "eval" / "traffic.jsonl").read_text(encoding="utf-8").splitlines()]
    by_language = [[q for q in asked if q["lang"] == language] for language in ("en", "fr", "nl")]
    return [q for turn in zip_longest(*by_language) for q in turn if q][:entries]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-store", type=Path, help="copy this store built from knowledge/ instead of building one")
    parser.add_argument("--entries", type=int, default=117)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "admin_page_bench.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="admin-page-") as tmp:
        store = Path(tmp) / "store"
        settings = Settings(_env_file=None, store_dir=store, knowledge_dir=ROOT / "knowledge", admin_token=TOKEN)
        if args.from_store:
            shutil.copytree(args.from_store, store)
            for stale in ("review.sqlite", "review.sqlite-wal", "review.sqlite-shm", "activity.sqlite"):
                (store / stale).unlink(missing_ok=True)
        services = Runtime(settings)
        if not args.from_store:
            assert ingest(settings, None, services.embedder).published
        services.load()
        try:
            for question in traffic(args.entries):
                services.review.enter(question["question"], question["lang"], "weak")
            entries = len(services.review.entries())
            with TestClient(create_app(services)) as client:
                assert client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303
                rows, seen, page = [], set(), 1
                while True:  # every page of the queue, until one shows no entry not seen before
                    html = client.get(f"/admin?page={page}&lang=en").text
                    shown = set(re.findall(r'<article class="entry" id="entry-(\d+)">', html))
                    if not shown - seen:
                        break
                    rows.append({"address": f"/admin?page={page}", "entries": len(shown), "bytes": len(html.encode())})
                    seen |= shown
                    page += 1
                html = client.get("/admin?asked=fr&lang=en").text
                rows.append({"address": "/admin?asked=fr", "entries": html.count('<article class="entry"'),
                             "bytes": len(html.encode())})
        finally:
            services.journal.close()
            services.review.close()
    print_table(["address", "entries", "KB"], [[r["address"], r["entries"], f"{r['bytes'] / 1024:.0f}"] for r in rows])
    print(f"{entries} entries in the queue; written to {write_results(args.out, {'entries': entries, 'pages': rows})}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
