"""Passages -> vectors -> a new store version: embed what is new, write beside the serving version, check, publish."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from advisor.documents import LANGUAGES, AttachedQuestions, Document, DocumentMeta, Translation
from advisor.embeddings import Embedder
from advisor.errors import DocumentError, StorageFull
from advisor.files import is_disk_full
from advisor.passages import Passage, PassagePlace, SentenceSpan, TranslationNote, Unit, UnitKind
from advisor.settings import Settings
from advisor.store import Store, VersionInfo, now_iso, open_store, who
from advisor.text import detect_language

from .cache import EmbeddingCache
from .chunk import attach, chunk
from .discover import discover, fingerprint
from .formats import DOCUMENT_TYPES
from .gate import Gate
from .limits import Limits
from .load import RESERVED, load
from .report import IngestReport
from .verbatim import unfound


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
    force: bool = False,
    gate: Gate | None = None,
    progress: bool = False,
    wait_seconds: float = 0.0,
    before_publish: Callable[[IngestReport], object] | None = None,
    lock_held: bool = False,
    store: Store | None = None,
) -> IngestReport:
    """Build a new knowledge version from `paths` and publish it if it passes the gate.

    Args:
        paths: files or folders; default the configured knowledge directory.
        gate: called with (store, new version, serving version, checks file); returns check
            results with "ok" and a "regressions" list; None publishes without checks.
        force: publish even when nothing changed or the gate fails; the audit log records it.
        before_publish: run with the report, under the store's lock, just before a version that passed is
            published (an upload moves into the knowledge folder here); if it raises, nothing is published.
        lock_held: the caller holds the store's lock already (an upload prepares its staging copy under it).
        store: the store whose lock the caller holds; default the configured one (`open_store`).
    """
    started = time.perf_counter()
    actor = actor or who()
    store = store or open_store(settings)
    report = IngestReport()
    limits = Limits.of(settings)
    with _full_disk_named(settings.store_dir), contextlib.nullcontext() if lock_held else store.lock(wait_seconds):
        report.previous = store.current_id()
        previous = store.manifest(report.previous) if report.previous else None
        files = discover(paths or [settings.knowledge_dir])
        synonyms_file = next((p for p, n in files if n == "synonyms.txt"), None)
        checks_file = next((p for p, n in files if n == settings.checks_file), None)
        stamp = fingerprint(files, embedder.model_id)
        if previous and previous.fingerprint == stamp and not force:
            report.reason = f"Nothing changed since version {previous.id}, which keeps serving."
            report.documents, report.passages = len(previous.documents), previous.passages
            report.seconds = time.perf_counter() - started
            store.audit("ingest", actor, result="unchanged", version=previous.id)
            return report

        documents: list[Document] = []
        translations: list[Translation | AttachedQuestions] = []
        for path, name in files:
            if name.lower() in RESERVED or name.endswith(".meta.yaml"):
                continue
            if not name.lower().endswith(DOCUMENT_TYPES):
                report.skipped.append((name, "not a document format"))
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
        passages = [p for chunked in by_document.values() for p in chunked]

        report.untranslated = _untranslated(by_document, metas)
        if not passages:
            report.reason = "No document could be read, so nothing was published."
            report.seconds = time.perf_counter() - started
            store.audit("ingest", actor, result="failed", reason=report.reason, failed=report.failed)
            return report

        units = _units(passages, metas, notes)
        by_id = {p.id: p for p in passages}
        cache = EmbeddingCache(settings.store_dir / "embedding-cache.sqlite")
        try:
            vectors, report.embedded = cache.embed([embedding_text(u, by_id) for u in units], embedder, progress)
        finally:
            cache.close()

        version = store.next_version_id()
        info = VersionInfo(
            id=version, created=now_iso(), created_by=actor, model=embedder.model_id,
            documents=tuple(metas[n] for n in sorted(metas)),
            translations={t.path: t.content_hash for t in translations},
            passages=len(passages),
            passage_ids=tuple(p.id for p in passages),
            synonyms=synonyms_file.read_text(encoding="utf-8") if synonyms_file else "",
            forced=force, fingerprint=stamp,
        )
        _compare(report, info, previous, passages)
        store.write_version(info, units, vectors)
        report.version, report.documents, report.passages = version, len(metas), len(passages)

        publish, report.reason = True, ""
        if gate is not None:
            report.checks = gate(store, version, report.previous, checks_file)
            if not report.checks.ok:
                publish = force
                report.reason = "the regression checks failed" + (" (published anyway: --force)" if force else "")
        report.forced = force
        if publish and before_publish is not None:
            try:
                before_publish(report)
            except BaseException:
                store.discard(version)
                raise
        if publish:
            store.publish(version)
            report.published = True
            store.prune(settings.keep_versions)
        else:
            store.discard(version)  # a rejected version must never become a rollback target
        report.seconds = time.perf_counter() - started
        store.audit(
            "publish" if publish else "ingest", actor, version=version, previous=report.previous,
            result="published" if publish else "not published", reason=report.reason, forced=report.forced,
            added=report.added, changed=report.changed, removed=report.removed, failed=report.failed, unfound=report.unfound,
            checks=report.checks.to_dict() if report.checks else None,
        )
        return report


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
