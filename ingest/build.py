"""Passages -> vectors -> a new store version: embed what is new, write beside the serving version, check, publish."""
from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from advisor.documents import LANGUAGES, AttachedQuestions, Document, DocumentMeta, Translation
from advisor.embeddings import Embedder
from advisor.errors import DocumentError, StorageFull
from advisor.files import is_disk_full, write_bytes_atomically
from advisor.gaps import GAPS_FILE, GapQuestion, parse_gaps
from advisor.passages import Passage, PassagePlace, SentenceSpan, TranslationNote, Unit, UnitKind
from advisor.settings import Settings
from advisor.store import Store, VersionInfo, now_iso, open_store, who
from advisor.text import detect_language

from .cache import VECTOR_CACHE, EmbeddingCache
from .chunk import attach, chunk
from .discover import discover, fingerprint
from .formats import accepted, unsupported
from .gate import Gate
from .limits import Limits
from .load import RESERVED, load
from .report import IngestReport
from .sources import Change, FileSet, SourceArchive, Trash, checked_name, materialize, read_inputs
from .verbatim import unfound

NO_CHANGE = Change()


def embedding_text(unit: Unit, passages: dict[str, Passage]) -> str:
    if unit.kind is UnitKind.PASSAGE and passages[unit.passage_id].heading:
        return f"{passages[unit.passage_id].heading}: {unit.text}"
    return unit.text


@contextlib.contextmanager
def _full_disk_named(store_dir: Path) -> Iterator[None]:
    """A full disk stops the ingestion with StorageFull; the serving version is untouched, and what was half
    written is removed by the next ingestion."""
    try:
        yield
    except Exception as exc:
        if not is_disk_full(exc):
            raise
        raise StorageFull(f"The disk under the knowledge store ({store_dir}) is full, so the new version could not "
                          "be written; the serving version is unchanged. Free some space and try again.") from exc


def ingest(
    settings: Settings,
    paths: Sequence[Path] | None,
    embedder: Embedder,
    *,
    actor: str | None = None,
    exact: bool = False,
    change: Change = NO_CHANGE,
    force: bool = False,
    gate: Gate | None = None,
    progress: bool = False,
    wait_seconds: float = 0.0,
    before_publish: Callable[[IngestReport], object] | None = None,
    lock_held: bool = False,
    store: Store | None = None,
) -> IngestReport:
    """Build a new knowledge version and publish it if it passes the gate.

    The version holds the files of the serving version, with the files under `paths` (default: the knowledge folder)
    added or replacing those of the same name, then `change` applied. Nothing is dropped unless asked: a file leaves
    through `change.remove`, or with `exact`, which builds from `paths` alone. A first version is `paths` alone.

    Args:
        paths: files or folders; None: the configured knowledge folder; empty: none (the serving files and `change`).
        exact: build from `paths` alone; the report says which documents that removes.
        change: files put and removed on top; on publish they are written into the knowledge folder (what they replace
            or remove goes to the store's trash), so the folder keeps matching what serves.
        gate: called with (store, new version, serving version, checks file); None publishes without checks.
        force: publish even when nothing changed or the gate fails; the audit log records it.
        before_publish: run with the report, under the store's lock, just before a version that passed is
            published; if it raises, nothing is published and nothing is written.
        lock_held: the caller holds the store's lock already.
        store: the store whose lock the caller holds; default the configured one (`open_store`).
    """
    store = store or open_store(settings)
    job = _Job(settings, embedder, store, actor or who(), force, gate, progress, before_publish)
    with _full_disk_named(settings.store_dir), contextlib.nullcontext() if lock_held else store.lock(wait_seconds):
        return job.run(paths, exact, change)


class _Job:
    """One build under the store's lock: gather the files, build from a staging copy, check, publish, write back."""

    def __init__(self, settings: Settings, embedder: Embedder, store: Store, actor: str, force: bool,
                 gate: Gate | None, progress: bool, before_publish: Callable[[IngestReport], object] | None) -> None:
        self.settings, self.embedder, self.store, self.actor = settings, embedder, store, actor
        self.force, self.gate, self.progress, self.before_publish = force, gate, progress, before_publish
        self.archive = SourceArchive(settings.store_dir / "sources")
        self.started = time.perf_counter()
        self.report = IngestReport()

    def run(self, paths: Sequence[Path] | None, exact: bool, change: Change) -> IngestReport:
        report, store = self.report, self.store
        report.previous = store.current_id()
        previous = store.manifest(report.previous) if report.previous else None
        inputs = read_inputs([self.settings.knowledge_dir] if paths is None else paths)
        base = {} if exact or previous is None else serving_files(self.settings, previous, self.archive)
        files = change.applied_to(base | inputs)
        if paths is None:  # documents of the serving version that the knowledge folder no longer has: kept, and said so
            report.kept = sorted(d.path for d in previous.documents if d.path not in inputs) if previous and not exact else []
        stamp = fingerprint(files, self.embedder.model_id)
        if previous and previous.fingerprint == stamp and not self.force:
            report.reason = f"Nothing changed since version {previous.id}, which keeps serving."
            report.documents, report.passages = len(previous.documents), previous.passages
            return self._done("ingest", result="unchanged", version=previous.id)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=staging_root(self.settings)))
        try:
            materialize(files, staging)
            return self._build(staging, files, stamp, previous, change)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _build(self, folder: Path, files: FileSet, stamp: str, previous: VersionInfo | None, change: Change) -> IngestReport:
        report, store, settings = self.report, self.store, self.settings
        found = discover([folder])
        synonyms_file = next((p for p, n in found if n == "synonyms.txt"), None)
        checks_file = next((p for p, n in found if n == settings.checks_file), None) or _existing(
            settings.knowledge_dir / settings.checks_file)
        limits = Limits.of(settings)
        documents, translations = _load_all(found, limits, report)
        metas, notes, by_document = _passages(documents, translations, limits, report)
        passages = [p for chunked in by_document.values() for p in chunked]
        report.untranslated = _untranslated(by_document, metas)
        if not passages:
            report.reason = "No document could be read, so nothing was published."
            return self._done("ingest", result="failed", reason=report.reason, failed=report.failed)

        units = _units(passages, metas, notes)
        gaps = _gaps(next((p for p, n in found if n == GAPS_FILE), None), report)
        by_id = {p.id: p for p in passages}
        cache = EmbeddingCache(settings.store_dir / VECTOR_CACHE)
        try:
            vectors, report.embedded = cache.embed([embedding_text(u, by_id) for u in units], self.embedder, self.progress)
            if gaps:  # embedded as the attached questions are, so that a question meets both on the same footing
                gap_vectors, _ = cache.embed([u.text for u in gaps], self.embedder, False)
                units, vectors = [*units, *gaps], np.concatenate([vectors, gap_vectors])
        finally:
            cache.close()

        version = store.next_version_id()
        info = VersionInfo(
            id=version, created=now_iso(), created_by=self.actor, model=self.embedder.model_id,
            documents=tuple(metas[n] for n in sorted(metas)),
            translations={t.path: t.content_hash for t in translations},
            passages=len(passages),
            passage_ids=tuple(p.id for p in passages),
            synonyms=synonyms_file.read_text(encoding="utf-8") if synonyms_file else "",
            forced=self.force, fingerprint=stamp, files=self.archive.keep(files),
        )
        _compare(report, info, previous, passages)
        store.write_version(info, units, vectors)
        report.version, report.documents, report.passages = version, len(metas), len(passages)

        publish = True
        if self.gate is not None:
            report.checks = self.gate(store, version, report.previous, checks_file)
            if not report.checks.ok:
                publish = self.force
                report.reason = "the regression checks failed" + (" (published anyway: --force)" if self.force else "")
        report.forced = self.force
        trash = None
        if publish:
            try:
                if self.before_publish is not None:
                    self.before_publish(report)
            except BaseException:
                store.discard(version)
                raise
            store.publish(version)
            report.published = True
            try:
                trash = _write_back(settings, change)
            except OSError as exc:  # the version serves and the store keeps its files: only the folder lags behind
                report.reason = (f"published, but the knowledge folder could not be updated ({exc.strerror or exc}); "
                                 "the store keeps the files, and the next ingest keeps them too")
        else:
            store.discard(version)  # a rejected version must never become a rollback target
        self._done(
            "publish" if publish else "ingest", version=version, previous=report.previous,
            result="published" if publish else "not published", reason=report.reason, forced=report.forced,
            change=change.label or None, trash=str(trash) if trash else None, kept=report.kept,
            added=report.added, changed=report.changed, removed=report.removed, failed=report.failed, unfound=report.unfound,
            checks=report.checks.to_dict() if report.checks else None,
        )
        if publish:  # after the audit entry, which pruning reads to know what served
            store.prune(settings.keep_versions)
            self.archive.prune(h for v in store.version_ids() for h in store.manifest(v).files.values())
        return report

    def _done(self, action: str, **details) -> IngestReport:
        self.report.seconds = time.perf_counter() - self.started
        self.store.audit(action, self.actor, **details)
        return self.report


STAGING_PREFIX = "staging-"


def staging_root(settings: Settings) -> Path:
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(settings.store_dir)
    return settings.store_dir


def _remove_stale_staging(store_dir: Path, older_than: float = 3600.0) -> None:
    """What a build killed mid-way left behind; a live build's folder is younger than an hour."""
    for path in store_dir.glob(STAGING_PREFIX + "*"):
        try:
            stale = time.time() - path.stat().st_mtime > older_than
        except FileNotFoundError:  # another build removed it first
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


def serving_files(settings: Settings, manifest: VersionInfo, archive: SourceArchive) -> FileSet:
    """The files a version was built from; a version older than the archive was built from the knowledge folder."""
    if not manifest.files:
        return read_inputs([settings.knowledge_dir]) if settings.knowledge_dir.is_dir() else {}
    return archive.files(manifest.files, fallback=settings.knowledge_dir)


def _write_back(settings: Settings, change: Change) -> Path | None:
    """Make the knowledge folder hold what the new version was built from: the change's files written, the removed
    ones and the replaced contents moved to the trash. Returns the trash folder used, if any."""
    if not change:
        return None
    knowledge = settings.knowledge_dir
    folder = Trash(settings.store_dir / "trash").folder(change.label or "change")
    for name in sorted(change.remove):
        Trash.move(knowledge, name, folder)
    for name, data in sorted(change.put.items()):
        target = knowledge / checked_name(name)
        if target.is_file() and target.read_bytes() != data:
            Trash.move(knowledge, name, folder)
        write_bytes_atomically(target, data)
    return folder if folder.exists() else None


def _load_all(found: list[tuple[Path, str]], limits: Limits,
              report: IngestReport) -> tuple[list[Document], list[Translation | AttachedQuestions]]:
    documents: list[Document] = []
    translations: list[Translation | AttachedQuestions] = []
    for path, name in found:
        if name.lower() in RESERVED or name.endswith(".meta.yaml"):
            continue
        if not accepted(name):
            report.skipped.append((name, unsupported(name)))
            continue
        try:
            loaded = load(path, name, limits)
        except DocumentError as exc:
            report.failed.append((exc.path, exc.reason))
            continue
        if isinstance(loaded, Document):
            documents.append(loaded)
        else:
            translations.append(loaded)
    return documents, translations


def _passages(documents: list[Document], translations: list[Translation | AttachedQuestions], limits: Limits,
              report: IngestReport) -> tuple[dict[str, DocumentMeta], dict[tuple[str, str], str], dict[str, list[Passage]]]:
    """Each readable document's passages, with translations and attached questions joined to them."""
    metas = {d.meta.path: d.meta for d in documents}
    notes: dict[tuple[str, str], str] = {}
    by_document: dict[str, list[Passage]] = {}
    for document in documents:
        chunked, _ = chunk(document)
        missing = unfound(document, chunked)  # never quoted: its words are not the source's
        report.unfound.extend((document.meta.path, why) for _, why in missing)
        left_out = {p.id for p, _ in missing}
        chunked = [p for p in chunked if p.id not in left_out]
        problem = ("no paragraph of text to quote" if not chunked else
                   f"{len(chunked):,} passages; the limit is {limits.max_passages_per_document:,} "
                   "(ADVISOR_MAX_PASSAGES_PER_DOCUMENT)" if len(chunked) > limits.max_passages_per_document else "")
        if problem:
            report.failed.append((document.meta.path, problem))
            del metas[document.meta.path]
            continue
        by_document[document.meta.path] = chunked
    for translation in translations:
        if translation.original not in by_document:
            report.failed.append((translation.path, f"translates {translation.original!r}, which is not among the documents"))
            continue
        by_document[translation.original], problems = attach(by_document[translation.original], translation)
        report.failed.extend((p.path, p.reason) for p in problems)
        if isinstance(translation, Translation):
            notes[(translation.original, translation.language)] = translation.note
    return metas, notes, by_document


def _units(passages: list[Passage], metas: dict[str, DocumentMeta], notes: dict[tuple[str, str], str]) -> list[Unit]:
    units = []
    for p in passages:
        language = metas[p.document].language
        units.append(Unit(f"{p.id}:p", p.id, UnitKind.PASSAGE, language, p.text,
                          PassagePlace(p.document, p.heading, p.position, p.paragraph, p.sentences)))
        if len(p.sentences) > 1:
            for i, (s, e) in enumerate(p.sentences):
                units.append(Unit(f"{p.id}:s{i}", p.id, UnitKind.SENTENCE, language, p.text[s:e], SentenceSpan(s, e)))
        for lang, text in sorted(p.translations.items()):
            units.append(Unit(f"{p.id}:t{lang}", p.id, UnitKind.TRANSLATION, lang, text,
                              TranslationNote(notes.get((p.document, lang), ""))))
        for i, question in enumerate(p.questions):
            units.append(Unit(f"{p.id}:q{i}", p.id, UnitKind.QUESTION, detect_language(question, language), question))
    return units


def _gaps(path: Path | None, report: IngestReport) -> list[Unit]:
    """The known gaps' questions as units of no passage; a gaps file with a bad line is reported and left out."""
    if path is None:
        return []
    try:
        questions = parse_gaps(GAPS_FILE, path.read_text(encoding="utf-8"))
    except DocumentError as exc:
        report.failed.append((exc.path, exc.reason))
        return []
    except (OSError, UnicodeDecodeError) as exc:
        report.failed.append((GAPS_FILE, f"cannot be read: {exc}"))
        return []
    return [Unit(_gap_id(i, q), "", UnitKind.GAP, q.language, q.text, q.gap) for i, q in enumerate(questions)]


def _gap_id(index: int, question: GapQuestion) -> str:
    return f"gap{index}:" + hashlib.sha256(f"{question.gap.topic}\0{question.text}".encode()).hexdigest()[:12]


def _untranslated(by_document: dict[str, list[Passage]], metas: dict[str, DocumentMeta]) -> dict[str, dict[str, list[str]]]:
    """Per language, the documents of another language and the paragraphs (their opening words, which is what a
    translation's anchor holds) that have no translation into it."""
    missing: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        for name, passages in sorted(by_document.items()):
            openings = [p for i, p in enumerate(passages) if i == 0 or passages[i - 1].paragraph != p.paragraph]
            lacking = [" ".join(p.text.split()[:6]) for p in openings if language not in p.translations]
            if metas[name].language != language and lacking:
                missing.setdefault(language, {})[name] = lacking
    return missing


def _compare(report: IngestReport, info: VersionInfo, previous: VersionInfo | None, passages: list[Passage]) -> None:
    old = {d.path: d.content_hash for d in previous.documents} if previous else {}
    new = {d.path: d.content_hash for d in info.documents}
    report.added = sorted(set(new) - set(old))
    report.removed = sorted(set(old) - set(new))
    report.changed = sorted(p for p in set(new) & set(old) if new[p] != old[p])
    old_ids = set(previous.passage_ids) if previous else set()
    new_ids = {p.id for p in passages}
    report.passages_added = len(new_ids - old_ids)
    report.passages_removed = len(old_ids - new_ids)
