"""Passages -> vectors -> a new store version: embed what is new, write beside the serving version, check, publish."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.embeddings import Embedder, role_prefix
from bot.errors import DocumentError
from bot.models import LANGUAGES, AttachedQuestions, Document, DocumentMeta, Passage, Translation, VersionInfo
from bot.settings import Settings
from bot.store import KnowledgeStore, Unit, now_iso, who
from bot.text import detect_language

from .chunk import attach, chunk
from .load import RESERVED, SUPPORTED, load

PIPELINE_VERSION = "2"  # bump when loading or chunking changes, so an unchanged tree is rebuilt once


@dataclass
class IngestReport:
    """What one ingestion did; every door (CLI, Telegram, web) shows this same summary."""

    version: str | None = None
    previous: str | None = None
    published: bool = False
    reason: str = ""
    documents: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    passages_added: int = 0
    passages_removed: int = 0
    embedded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why) left out on purpose
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) that could not be read
    untranslated: dict[str, list[str]] = field(default_factory=dict)  # language -> documents with passages it lacks
    checks: dict | None = None
    forced: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return dict(vars(self))

    def summary(self) -> str:
        lines = []
        if self.published:
            lines.append(f"Published knowledge version {self.version}" + (" (forced)" if self.forced else "") + ".")
        elif self.version:
            lines.append(f"Built version {self.version} but did not publish it, and discarded it: {self.reason}")
        else:
            lines.append(self.reason or "Nothing was built.")
        lines.append(f"Documents: {self.documents} ({len(self.added)} added, {len(self.changed)} changed, "
                     f"{len(self.removed)} removed); passages: {self.passages} "
                     f"(+{self.passages_added} / -{self.passages_removed}); new embeddings: {self.embedded}.")
        for title, names in (("Added", self.added), ("Changed", self.changed), ("Removed", self.removed)):
            if names:
                lines.append(f"{title}: {', '.join(names)}")
        if self.skipped:
            lines.append(f"Skipped: {len(self.skipped)}")
            lines.extend(f"  - {name}: {why}" for name, why in self.skipped)
        if self.failed:
            lines.append(f"Failed: {len(self.failed)}")
            lines.extend(f"  - {name}: {why}" for name, why in self.failed)
        for language, names in sorted(self.untranslated.items()):
            lines.append(f"Not (wholly) translated into {language}: {', '.join(names)}")
        if self.checks:
            c = self.checks
            lines.append(f"Checks: {c['passed']}/{c['total']} passed (hit@1 {c['hit_at_1']:.0%}"
                         + (f", serving version {c['baseline_hit_at_1']:.0%}" if c.get("baseline_hit_at_1") is not None else "") + ").")
            for r in c.get("regressions", []):
                lines.append(f"  - regressed {r['id']}: {r['question']!r} now quotes {r['now']!r}")
        lines.append(f"Took {self.seconds:.1f} s.")
        return "\n".join(lines)


def discover(paths: Sequence[Path]) -> list[tuple[Path, str]]:
    """Every file to consider, with its name relative to the folder it was found in."""
    found: list[tuple[Path, str]] = []
    for root in paths:
        root = Path(root)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                rel = path.relative_to(root)
                if any(part.startswith((".", "_")) for part in rel.parts):
                    continue
                found.append((path, rel.as_posix()))
        elif root.exists():
            found.append((root, root.name))
        else:
            raise DocumentError(str(root), "no such file or folder")
    return found


def fingerprint(files: Sequence[tuple[Path, str]], model: str) -> str:
    digest = hashlib.sha256(f"{PIPELINE_VERSION}\n{model}\n".encode())
    for path, name in files:
        digest.update(f"{name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class EmbeddingCache:
    """Vectors by (model, text), each fused model apart: re-ingesting unchanged passages embeds nothing."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def embed(self, texts: Sequence[str], embedder: Embedder, progress: bool) -> tuple[np.ndarray, int]:
        """The passage vectors of `texts` and how many texts some model had to embed anew."""
        if not texts:
            return np.zeros((0, 0), np.float32), 0
        parts = getattr(embedder, "parts", None) or [embedder]
        results = [self._embed_one(texts, part, progress) for part in parts]
        return np.concatenate([vectors for vectors, _ in results], axis=1), max(n for _, n in results)

    def _embed_one(self, texts: Sequence[str], embedder: Embedder, progress: bool) -> tuple[np.ndarray, int]:
        prefix = role_prefix(embedder.model_id, query=False)  # e5 models: what the model really reads

        def key(text: str) -> str:
            return hashlib.sha256(f"{embedder.model_id}\n{prefix}{text}".encode()).hexdigest()

        keys = [key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = self.db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part)
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        # Shortest first: batches of similar length waste little on padding.
        missing = sorted(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found), key=len)
        if missing:
            from tqdm import tqdm

            batch = 64
            with tqdm(total=len(missing), desc=f"embedding ({embedder.model_id})", unit="text",
                      disable=None if progress else True) as bar:
                for i in range(0, len(missing), batch):
                    part = missing[i:i + batch]
                    vectors = embedder.embed(part)
                    rows = [(key(t), v.astype(np.float32).tobytes()) for t, v in zip(part, vectors)]
                    self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
                    found.update((k, np.frombuffer(b, dtype=np.float32)) for k, b in rows)
                    bar.update(len(part))
            self.db.commit()
        return np.stack([found[k] for k in keys]), len(missing)

    def close(self) -> None:
        self.db.close()


def embedding_text(unit: Unit, passages: dict[str, Passage]) -> str:
    if unit.kind == "passage" and passages[unit.passage_id].heading:
        return f"{passages[unit.passage_id].heading}: {unit.text}"
    return unit.text


Gate = Callable[[KnowledgeStore, str, str | None, Path | None], dict]


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
) -> IngestReport:
    """Build a new knowledge version from `paths` and publish it if it passes the gate.

    Args:
        paths: files or folders; default the configured knowledge directory.
        gate: called with (store, new version, serving version, checks file); returns check
            results with "ok" and a "regressions" list; None publishes without checks.
        force: publish even when nothing changed or the gate fails; the audit log records it.
    """
    started = time.perf_counter()
    actor = actor or who()
    store = KnowledgeStore(settings.store_dir)
    report = IngestReport()
    with store.lock(wait_seconds):
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
            if not name.lower().endswith(SUPPORTED):
                report.skipped.append((name, "not a document format"))
                continue
            try:
                loaded = load(path, name)
            except DocumentError as exc:
                report.failed.append((exc.path, exc.reason))
                continue
            (documents if isinstance(loaded, Document) else translations).append(loaded)

        metas = {d.meta.path: d.meta for d in documents}
        passages: list[Passage] = []
        notes: dict[tuple[str, str], str] = {}
        by_document: dict[str, list[Passage]] = {}
        for document in documents:
            chunked, _ = chunk(document)
            if not chunked:
                report.failed.append((document.meta.path, "no paragraph of text to quote"))
                del metas[document.meta.path]
                continue
            by_document[document.meta.path] = chunked
            passages.extend(chunked)
        for translation in translations:
            if translation.original not in by_document:
                report.failed.append((translation.path, f"translates {translation.original!r}, which is not among the documents"))
                continue
            problems = attach(by_document[translation.original], translation)
            report.failed.extend((p.path, p.reason) for p in problems)
            if isinstance(translation, Translation):
                notes[(translation.original, translation.language)] = translation.note

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
            if not report.checks.get("ok", True):
                publish = force
                report.reason = "the regression checks failed" + (" (published anyway: --force)" if force else "")
        report.forced = force
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
            added=report.added, changed=report.changed, removed=report.removed, failed=report.failed,
            checks={k: v for k, v in (report.checks or {}).items() if k != "results"},
        )
        return report


def _units(passages: list[Passage], metas: dict[str, DocumentMeta], notes: dict[tuple[str, str], str]) -> list[Unit]:
    units = []
    for p in passages:
        language = metas[p.document].language
        units.append(Unit(f"{p.id}:p", p.id, "passage", language, p.text, {
            "document": p.document, "heading": p.heading, "position": p.position,
            "sentences": json.dumps([list(s) for s in p.sentences]),
        }))
        if len(p.sentences) > 1:
            for i, (s, e) in enumerate(p.sentences):
                units.append(Unit(f"{p.id}:s{i}", p.id, "sentence", language, p.text[s:e], {"start": s, "end": e}))
        for lang, text in sorted(p.translations.items()):
            units.append(Unit(f"{p.id}:t{lang}", p.id, "translation", lang, text, {"note": notes.get((p.document, lang), "")}))
        for i, question in enumerate(p.questions):
            units.append(Unit(f"{p.id}:q{i}", p.id, "question", detect_language(question, language), question))
    return units


def _untranslated(by_document: dict[str, list[Passage]], metas: dict[str, DocumentMeta]) -> dict[str, list[str]]:
    """Per language the documents of another language with a passage that has no translation into it."""
    missing: dict[str, list[str]] = {}
    for language in LANGUAGES:
        names = [name for name, passages in sorted(by_document.items())
                 if metas[name].language != language and any(language not in p.translations for p in passages)]
        if names:
            missing[language] = names
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
