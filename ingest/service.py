"""One path for every door (CLI, Telegram, web): re-ingest, add or remove a document, roll back.

Nothing an admin does loses knowledge: every version keeps the files it was built from (ingest/sources.py), a
document leaves only when removed by name, a rollback goes back to what served before and puts the knowledge folder
back as it was, and what leaves the folder goes to the store's trash.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

import yaml

from advisor.documents import LANGUAGES, OFFICIAL, SUMMARY, DocumentMeta
from advisor.embeddings import Embedder
from advisor.errors import AdvisorError, DocumentError, DocumentExists, StorageFull, StoreError
from advisor.files import is_disk_full, write_bytes_atomically
from advisor.settings import Settings
from advisor.store import VersionInfo, history, open_store

from .build import NO_CHANGE, STAGING_PREFIX, IngestReport, ingest, serving_files, staging_root
from .formats import accepted, unsupported
from .gate import checks_gate
from .load import RESERVED
from .report import RolledBack
from .sandbox import check_untrusted
from .sources import Change, FileSet, SourceArchive, Trash, checked_name, companions, digest

UPLOAD_FIELDS = ("title", "issuer", "date", "url", "authority", "language")  # what an upload may say about itself

Published = Callable[[IngestReport], object]


class KnowledgeAdmin:
    """What an admin can do to the knowledge; blocking calls, run them off the event loop."""

    def __init__(self, settings: Settings, embedder: Embedder, on_change=None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = open_store(settings)
        self.archive = SourceArchive(settings.store_dir / "sources")
        self.on_change = on_change  # called after a publish or rollback, e.g. to reload the serving advisor

    # Reading -----------------------------------------------------------------
    def documents(self) -> list[DocumentMeta]:
        """The documents of the serving version."""
        manifest = self.store.current_manifest()
        return list(manifest.documents) if manifest else []

    def serving_files(self) -> FileSet:
        """The files the serving version was built from, by name relative to the knowledge folder."""
        manifest = self.store.current_manifest()
        return serving_files(self.settings, manifest, self.archive) if manifest else {}

    def last_build(self) -> dict | None:
        """The audit entry of the last build (published or not): its report and what the checks said."""
        return next((e for e in reversed(self.store.audit_entries())
                     if e.get("action") in ("publish", "ingest") and e.get("result") != "unchanged"), None)

    # Building ----------------------------------------------------------------
    def reingest(self, actor: str, *, paths: Sequence[Path] | None = None, exact: bool = False, extra: Change = NO_CHANGE,
                 force: bool = False, wait_seconds: float = 0.0, on_published: Published | None = None) -> IngestReport:
        """The serving version's files with `paths` (default: the knowledge folder) added or replacing files of the same
        name, then `extra`; published if the checks pass. `exact` builds from `paths` alone."""
        return self._build(actor, paths, exact, extra, force, wait_seconds, on_published)

    def apply(self, change: Change, actor: str, *, force: bool = False, on_published: Published | None = None,
              before_publish: Published | None = None) -> IngestReport:
        """The serving version's files with `change`; on publish the knowledge folder gets the change too."""
        paths = None if self.store.current_id() is None else ()  # a first version starts from the knowledge folder
        return self._build(actor, paths, False, change, force, 5.0, on_published, before_publish)

    def _build(self, actor: str, paths: Sequence[Path] | None, exact: bool, change: Change, force: bool, wait_seconds: float,
               on_published: Published | None, before_publish: Published | None = None) -> IngestReport:
        report = ingest(self.settings, paths, self.embedder, actor=actor, exact=exact, change=change, force=force,
                        gate=checks_gate(self.settings, self.embedder), wait_seconds=wait_seconds,
                        before_publish=before_publish, store=self.store)
        if report.published:
            if on_published is not None:
                on_published(report)
            if self.on_change:
                self.on_change()
        return report

    # Documents ---------------------------------------------------------------
    def add_document(self, filename: str, data: bytes, actor: str, *, replace: bool = False,
                     meta: Mapping[str, str] | None = None, force: bool = False, max_bytes: int | None = None) -> IngestReport:
        """Add an uploaded document, or replace one of the same name when `replace`: read in the sandbox first, then
        built beside the serving version; the file (and its details, `meta`) enter the knowledge folder only when
        that version publishes. A refusal is recorded in the audit log too, with its reason."""
        name = (filename or "(no name)")[:200]
        try:
            name = safe_filename(filename)
            return self._add(name, data, actor, replace, meta or {}, force, max_bytes)
        except AdvisorError as exc:
            try:  # the refusal is what the admin must hear, not a failure to record it
                self.store.audit("upload_refused", actor, document=name, replace=replace, reason=str(exc))
            except (OSError, AdvisorError):
                pass
            raise

    def _add(self, name: str, data: bytes, actor: str, replace: bool, meta: Mapping[str, str], force: bool,
             max_bytes: int | None) -> IngestReport:
        if not accepted(name):
            raise DocumentError(name, unsupported(name))
        if name.lower() in RESERVED:
            raise DocumentError(name, "this name is reserved for the knowledge folder's own files (synonyms, checks, known gaps); "
                                      "change those on the server and run `advisor ingest`")
        limit = max_bytes or self.settings.max_upload_bytes
        if len(data) > limit:
            raise DocumentError(name, f"the file is {len(data) // 1024} KiB; the limit is {limit // 1024} KiB")
        sidecar = sidecar_for(name, meta, self.settings.max_field_chars)
        if not replace and self._holds(name):  # said at once; checked again under the lock
            raise _exists(name)
        try:
            return self._stage_and_build(name, data, sidecar, actor, replace, force)
        except AdvisorError:
            raise
        except OSError as exc:
            if is_disk_full(exc):
                raise StorageFull(f"{name}: the disk under the store is full, so the upload could not be staged; "
                                  "nothing changed. Free some space and try again.") from exc
            raise AdvisorError(f"{name}: the upload could not be staged ({exc.strerror or exc}: {exc.filename}); "
                               "nothing changed.") from exc

    def _holds(self, name: str) -> bool:
        return name in {d.path for d in self.documents()} or (self.settings.knowledge_dir / name).exists()

    def _stage_and_build(self, name: str, data: bytes, sidecar: bytes | None, actor: str, replace: bool,
                         force: bool) -> IngestReport:
        """Read the file in the sandbox, then build the serving version's files with it."""
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=staging_root(self.settings)))
        try:
            probe = staging / name
            probe.write_bytes(data)
            if sidecar is not None:
                probe.with_name(f"{name}.meta.yaml").write_bytes(sidecar)
            kind = check_untrusted(probe, name, self.settings)  # in a child process, under memory and time limits
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if kind != "document":
            raise DocumentError(name, "translations and attached questions are added on the server, not uploaded")
        existed = self._holds(name)
        if existed and not replace:
            raise _exists(name)

        def became_part(report: IngestReport) -> None:
            failed = dict(report.failed)
            if name in failed:  # read in the sandbox, yet no passage could be built from it
                raise DocumentError(name, failed[name])

        put = {name: data} | ({f"{name}.meta.yaml": sidecar} if sidecar is not None else {})
        report = self.apply(Change(put=put, label=f"upload {name}"), actor, force=force, before_publish=became_part)
        self.store.audit("upload", actor, document=name, replaced=existed, published=report.published,
                         version=report.version, reason=report.reason, details=bool(sidecar))
        return report

    def remove_document(self, name: str, actor: str, *, force: bool = False) -> IngestReport:
        """Take a document out, with its translations, attached questions and details, through a checked version;
        its files leave the knowledge folder for the store's trash only when that version publishes."""
        held = {d.path for d in self.documents()}
        if name not in held:
            error = DocumentError(name, "there is no document of this name in the serving version"
                                        + (f"; it holds {', '.join(sorted(held))}" if held else ""))
            self.store.audit("remove_refused", actor, document=name, reason=str(error))
            raise error
        files = self.serving_files()
        gone = frozenset({name} | companions(files, name))
        report = self.apply(Change(remove=gone, label=f"remove {name}"), actor, force=force)
        self.store.audit("remove", actor, document=name, files=sorted(gone), published=report.published,
                         version=report.version, reason=report.reason)
        return report

    # Versions ----------------------------------------------------------------
    def rollback_target(self) -> str | None:
        """The version a rollback with no version named would serve: the one that served before, not undone since."""
        return history.rollback_target(self.store.audit_entries(), self.store.current_id(), self.store.version_ids())

    def rollback(self, version: str | None, actor: str, *, wait_seconds: float = 5.0) -> RolledBack:
        """Serve `version`, or the version that served before the serving one; the knowledge folder follows: files that
        came with the versions rolled back leave it for the trash, and files they changed get their earlier content.
        An ingestion still running after `wait_seconds` makes it IngestBusy."""
        with self.store.lock(wait_seconds=wait_seconds):
            current, ids = self.store.current_id(), self.store.version_ids()
            if version is None:
                target = history.rollback_target(self.store.audit_entries(), current, ids)
                if target is None:
                    raise AdvisorError("There is no earlier served version to roll back to "
                                       "(`advisor versions` lists the versions; `advisor rollback --to VERSION` serves one).")
            elif version not in ids:
                raise StoreError(f"There is no knowledge version {version!r}; `advisor versions` lists them.")
            else:
                target = version
            if target == current:
                raise AdvisorError(f"Version {target} is already serving.")
            self.store.publish(target)
            moved = self._follow(self.store.manifest(current) if current else None, self.store.manifest(target))
            self.store.audit("rollback", actor, version=target, previous=current, back=version is None, **moved)
        if self.on_change:
            self.on_change()
        return RolledBack(target, current, moved.get("trash"), tuple(moved.get("moved", ())), tuple(moved.get("restored", ())))

    def _follow(self, old: VersionInfo | None, new: VersionInfo) -> dict:
        """Put back in the knowledge folder what `new` was built from, where the folder still holds what `old` was:
        a file only `old` had goes to the trash; one both had, in another content, gets `new`'s content back; one
        only `new` had comes back if a removal moved it from the folder to the trash. A file the folder holds in a
        third content is left as it is."""
        if old is None or not old.files or not new.files:
            return {}
        knowledge = self.settings.knowledge_dir
        bin_ = Trash(self.settings.store_dir / "trash")
        trash = bin_.folder(f"rollback-to-{new.id}")
        trashed, restored, moved = [], [], []
        for name, key in sorted(old.files.items()):
            path = knowledge / checked_name(name)
            if new.files.get(name) == key or not path.is_file() or digest(path.read_bytes()) != key:
                continue  # unchanged between the two, or the folder holds something else now: left as it is
            data = self._kept(name, new.files[name]) if name in new.files else None
            if name in new.files and data is None:
                continue  # its earlier content is not kept on this host: the folder is left as it is
            Trash.move(knowledge, name, trash)
            moved.append(name)
            if data is not None:
                write_bytes_atomically(path, data)
                restored.append(name)
            else:
                trashed.append(name)
        for name in sorted(set(new.files) - set(old.files)):  # taken out of the folder by a removal rolled back
            path = knowledge / checked_name(name)
            data = None if path.exists() or not bin_.holds(name, new.files[name]) else self._kept(name, new.files[name])
            if data is not None:
                write_bytes_atomically(path, data)
                restored.append(name)
        return {"trash": str(trash) if trash.exists() else None, "moved": moved, "restored": restored, "trashed": trashed}

    def _kept(self, name: str, key: str) -> bytes | None:
        try:
            return self.archive.files({name: key})[name]
        except StoreError:  # another host ingested it (a shared Chroma server): its files are kept there
            return None


def _exists(name: str) -> DocumentExists:
    return DocumentExists(name, "a document of this name is already in the knowledge; send it again with replace to replace it")


def safe_filename(filename: str) -> str:
    base = Path(filename.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("._-")  # a leading "." or "_" would hide it from ingestion
    if not cleaned:
        raise DocumentError(filename or "(no name)", "the file name is empty")
    return cleaned[:120]


_MARKUP = re.compile(r"<[^>]*>|&#?\w+;")


def sidecar_for(name: str, meta: Mapping[str, str], max_chars: int) -> bytes | None:
    """An upload's details (title, issuer, date, url, authority, language) checked and written as its sidecar YAML."""
    fields = {k: " ".join(str(v).split()) for k, v in meta.items() if v is not None and str(v).strip()}
    if not fields:
        return None
    unknown = set(fields) - set(UPLOAD_FIELDS)
    if unknown:
        raise DocumentError(name, f"unknown detail(s) {', '.join(sorted(unknown))}; an upload may give {', '.join(UPLOAD_FIELDS)}")
    if name.lower().endswith(".md"):
        raise DocumentError(name, "a Markdown document carries its details in its front matter (title:, issuer:, date:, "
                                  "url:, authority:, language: between --- lines at its top); put them there")
    for key, value in fields.items():
        if len(value) > max_chars:
            raise DocumentError(name, f"the {key} is {len(value):,} characters long; the limit is {max_chars} "
                                      "(ADVISOR_MAX_FIELD_CHARS)")
        if _MARKUP.search(value):
            raise DocumentError(name, f"the {key} {value[:60]!r} contains markup; give plain text")
    _check_choice(name, fields, "authority", (OFFICIAL, SUMMARY))
    _check_choice(name, fields, "language", LANGUAGES)
    if "url" in fields and not re.match(r"https?://[^\s/]+", fields["url"], re.IGNORECASE):
        raise DocumentError(name, f"the url {fields['url'][:80]!r} is not a web address (http:// or https://)")
    if "date" in fields:
        try:
            date.fromisoformat(fields["date"])
        except ValueError:
            raise DocumentError(name, f"the date {fields['date'][:40]!r} is not a date written YYYY-MM-DD") from None
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=True).encode()


def _check_choice(name: str, fields: dict[str, str], key: str, choices: Sequence[str]) -> None:
    if key in fields:
        fields[key] = fields[key].lower()
        if fields[key] not in choices:
            raise DocumentError(name, f"the {key} {fields[key][:40]!r} is not one of {', '.join(choices)}")
