"""One path for every door (CLI, Telegram, web): re-ingest, add a document, roll back."""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

from advisor.embeddings import Embedder
from advisor.errors import AdvisorError, DocumentError
from advisor.files import write_atomically
from advisor.settings import Settings
from advisor.store import KnowledgeStore

from .build import IngestReport, ingest
from .formats import DOCUMENT_TYPES
from .gate import checks_gate
from .load import load


class KnowledgeAdmin:
    """What an admin can do to the knowledge; blocking calls, run them off the event loop."""

    def __init__(self, settings: Settings, embedder: Embedder, on_change=None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = KnowledgeStore(settings.store_dir)
        self.on_change = on_change  # called after a publish or rollback, e.g. to reload the serving advisor

    def reingest(self, actor: str, force: bool = False, wait_seconds: float = 0.0) -> IngestReport:
        report = ingest(self.settings, None, self.embedder, actor=actor, force=force,
                        gate=checks_gate(self.settings, self.embedder), wait_seconds=wait_seconds)
        if report.published and self.on_change:
            self.on_change()
        return report

    def add_document(self, filename: str, data: bytes, actor: str, force: bool = False,
                     max_bytes: int | None = None) -> IngestReport:
        """Check an uploaded file, put it into the knowledge folder, and re-ingest; a bad file changes nothing."""
        name = safe_filename(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in DOCUMENT_TYPES:
            raise DocumentError(name, f"unsupported file type {suffix or '(none)'!r}; send one of {', '.join(DOCUMENT_TYPES)}")
        limit = max_bytes or self.settings.max_upload_bytes
        if len(data) > limit:
            raise DocumentError(name, f"the file is {len(data) // 1024} KiB; the limit is {limit // 1024} KiB")
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / name
            probe.write_bytes(data)
            load(probe, name)  # raises DocumentError naming the file if it cannot be read
        write_atomically(self.settings.knowledge_dir / name, lambda tmp: Path(tmp).write_bytes(data))
        return self.reingest(actor, force=force)

    def rollback(self, version: str | None, actor: str) -> str:
        """Publish `version`, or the one before the serving version; recorded in the audit log."""
        with self.store.lock(wait_seconds=5):
            current, ids = self.store.current_id(), self.store.version_ids()
            if version is None:
                older = [v for v in ids if current is None or v < current]
                if not older:
                    raise AdvisorError("There is no earlier knowledge version to roll back to.")
                version = older[-1]
            self.store.publish(version)
            self.store.audit("rollback", actor, version=version, previous=current)
        if self.on_change:
            self.on_change()
        return version


def safe_filename(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip(".-")
    if not cleaned:
        raise DocumentError(filename or "(no name)", "the file name is empty")
    return cleaned[:120]
