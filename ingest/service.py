"""One path for every door (CLI, Telegram, web): re-ingest, add a document, roll back."""
from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import time
from pathlib import Path

from advisor.embeddings import Embedder
from advisor.errors import AdvisorError, DocumentError, DocumentExists, StorageFull
from advisor.files import is_disk_full, write_atomically
from advisor.settings import Settings
from advisor.store import open_store

from .build import IngestReport, ingest
from .formats import DOCUMENT_TYPES
from .gate import checks_gate
from .load import RESERVED
from .sandbox import check_untrusted


class KnowledgeAdmin:
    """What an admin can do to the knowledge; blocking calls, run them off the event loop."""

    def __init__(self, settings: Settings, embedder: Embedder, on_change=None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = open_store(settings)
        self.on_change = on_change  # called after a publish or rollback, e.g. to reload the serving advisor

    def reingest(self, actor: str, force: bool = False, wait_seconds: float = 0.0) -> IngestReport:
        report = ingest(self.settings, None, self.embedder, actor=actor, force=force,
                        gate=checks_gate(self.settings, self.embedder), wait_seconds=wait_seconds)
        if report.published and self.on_change:
            self.on_change()
        return report

    def add_document(self, filename: str, data: bytes, actor: str, force: bool = False,
                     max_bytes: int | None = None, replace: bool = False) -> IngestReport:
        """Add an uploaded document: built from a staging copy of the knowledge, moved in only when published.

        A bad, hostile or refused file changes nothing; replacing a document needs `replace`. A refusal is
        recorded in the audit log too, with its reason: who tried to add what is known even when nothing changed.
        """
        name = (filename or "(no name)")[:200]
        try:
            name = safe_filename(filename)
            return self._add(name, data, actor, force, max_bytes, replace)
        except AdvisorError as exc:
            with contextlib.suppress(OSError, AdvisorError):  # the refusal is what the admin must hear, not this
                self.store.audit("upload_refused", actor, document=name, replace=replace, reason=str(exc))
            raise

    def _add(self, name: str, data: bytes, actor: str, force: bool, max_bytes: int | None,
             replace: bool) -> IngestReport:
        suffix = Path(name).suffix.lower()
        if suffix not in DOCUMENT_TYPES:
            raise DocumentError(name, f"unsupported file type {suffix or '(none)'!r}; send one of {', '.join(DOCUMENT_TYPES)}")
        if name.lower() in RESERVED:
            raise DocumentError(name, "this name is reserved for the knowledge folder's own files (synonyms, checks); "
                                      "change those on the server and run `advisor ingest`")
        limit = max_bytes or self.settings.max_upload_bytes
        if len(data) > limit:
            raise DocumentError(name, f"the file is {len(data) // 1024} KiB; the limit is {limit // 1024} KiB")
        if (self.settings.knowledge_dir / name).exists() and not replace:  # said at once; checked again under the lock
            raise _exists(name)
        try:
            return self._stage_and_build(name, data, actor, force, replace)
        except AdvisorError:
            raise
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageFull(f"{name}: the disk under the store is full, so the upload could not be staged; "
                                  "nothing changed. Free some space and try again.") from exc
            raise AdvisorError(f"{name}: the upload could not be staged ({exc.strerror or exc}: {exc.filename}); "
                               "nothing changed.") from exc

    def _stage_and_build(self, name: str, data: bytes, actor: str, force: bool, replace: bool) -> IngestReport:
        """Read the file in the sandbox, then, under the store's lock, copy the knowledge, add it and build."""
        target = self.settings.knowledge_dir / name
        self.settings.store_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_staging(self.settings.store_dir)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.settings.store_dir))
        try:
            probe = staging / "upload" / name
            probe.parent.mkdir()
            probe.write_bytes(data)
            kind = check_untrusted(probe, name, self.settings)  # in a child process, under memory and time limits
            if kind != "document":
                raise DocumentError(name, "translations and attached questions are added on the server, not uploaded")

            def move_in(report: IngestReport) -> None:
                failed = dict(report.failed)
                if name in failed:  # read in the sandbox, yet no passage could be built from it
                    raise DocumentError(name, failed[name])
                write_atomically(target, lambda tmp: Path(tmp).write_bytes(data))

            # Under the lock, so that no other upload or ingestion changes the folder between the copy and the publish.
            with self.store.lock(wait_seconds=5):
                existed = target.exists()
                if existed and not replace:
                    raise _exists(name)
                knowledge = staging / "knowledge"
                shutil.copytree(self.settings.knowledge_dir, knowledge)
                shutil.copy(probe, knowledge / name)
                staged = self.settings.model_copy(update={"knowledge_dir": knowledge})
                report = ingest(staged, None, self.embedder, actor=actor, force=force, lock_held=True, store=self.store,
                                gate=checks_gate(staged, self.embedder), before_publish=move_in)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.store.audit("upload", actor, document=name, replaced=existed, published=report.published,
                         version=report.version, reason=report.reason)
        if report.published and self.on_change:
            self.on_change()
        return report

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


def _exists(name: str) -> DocumentExists:
    return DocumentExists(name, "a document of this name is already in the knowledge; send it again with replace to replace it")


def safe_filename(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("._-")  # a leading "." or "_" would hide it from ingestion
    if not cleaned:
        raise DocumentError(filename or "(no name)", "the file name is empty")
    return cleaned[:120]


STAGING_PREFIX = "staging-"


def _remove_stale_staging(store_dir: Path, older_than: float = 3600.0) -> None:
    """What an upload killed mid-way left behind; a live upload's folder is younger than an hour."""
    for path in store_dir.glob(STAGING_PREFIX + "*"):
        try:
            stale = time.time() - path.stat().st_mtime > older_than
        except FileNotFoundError:  # another upload removed it first
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
