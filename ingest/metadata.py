"""What a document says about itself: front matter or a sidecar `<file>.meta.yaml`, checked into a DocumentMeta."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import yaml

from advisor.documents import LANGUAGES, OFFICIAL, SUMMARY, Block, Document, DocumentMeta
from advisor.errors import DocumentError
from advisor.text import collapse_space, fold

META_FIELDS = {"title", "issuer", "date", "url", "language", "authority", "as_of", "sources", "note"}


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sidecar(path: Path, name: str) -> dict:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    return parse_yaml(sidecar.read_text(encoding="utf-8"), f"{name}.meta.yaml")


class _PlainLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: front matter needs neither, and nested aliases expand exponentially."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _AliasRefused("anchors and aliases (& and *) are not allowed in front matter", event.start_mark)
        return super().compose_node(parent, index)


class _AliasRefused(yaml.YAMLError):
    def __init__(self, problem: str, mark) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


def parse_yaml(text: str, name: str) -> dict:
    try:
        data = yaml.load(text, Loader=_PlainLoader) or {}  # a SafeLoader that also refuses aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DocumentError(name, f"malformed front matter{where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise DocumentError(name, "malformed front matter: expected 'key: value' lines")
    return data


def check_fields(name: str, fields: dict, max_chars: int) -> None:
    """Metadata of sane size and shape: short text fields, a web link for `url`."""
    for key, value in fields.items():
        values = value if isinstance(value, list) else [value]
        if len(values) > 50:
            raise DocumentError(name, f"the field {key!r} has {len(values)} entries; the limit is 50")
        for item in values:
            if isinstance(item, (dict, list)):
                raise DocumentError(name, f"the field {key!r} must be text, not a nested structure")
            if len(str(item)) > max_chars:
                raise DocumentError(name, f"the field {key!r} is {len(str(item))} characters long; the limit is {max_chars} "
                                          "(ADVISOR_MAX_FIELD_CHARS)")
    url = str(fields.get("url") or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        raise DocumentError(name, f"the url {url[:80]!r} is not a web address (http:// or https://)")


def document_meta(name: str, fields: dict, fallback_title: str, data: bytes, notes: Sequence[str] = ()) -> DocumentMeta:
    language = str(fields.get("language") or "en").strip().lower()
    if language not in LANGUAGES:
        raise DocumentError(name, f"unknown language code {language!r} (use one of: {', '.join(LANGUAGES)})")
    authority = str(fields.get("authority") or SUMMARY).strip().lower()
    if authority not in (OFFICIAL, SUMMARY):
        raise DocumentError(name, f"unknown authority {authority!r} (use {OFFICIAL!r} or {SUMMARY!r})")
    sources = fields.get("sources") or ()
    if isinstance(sources, str):
        sources = (sources,)
    return DocumentMeta(
        path=name,
        title=text_field(fields.get("title")) or fallback_title or Path(name).stem,
        issuer=text_field(fields.get("issuer")),
        date=text_field(fields.get("date")),
        url=text_field(fields.get("url")),
        language=language,
        authority=authority,
        as_of=text_field(fields.get("as_of")),
        sources=tuple(str(s) for s in sources),
        content_hash=content_hash(data),
        note=" ".join(n for n in (text_field(fields.get("note")), *notes) if n),
    )


def with_sidecar(name: str, fields: dict, title: str, blocks: list[Block], data: bytes, text: str = "") -> Document:
    """The document; the blocks that begin with an entry of the sidecar's `note_paragraphs` become its note."""
    entries = fields.get("note_paragraphs") or ()
    if isinstance(entries, str):
        entries = (entries,)
    if not isinstance(entries, (list, tuple)):
        raise DocumentError(f"{name}.meta.yaml", f"note_paragraphs must be a list of paragraph openings, got {entries!r}")
    openings = {str(words): fold(collapse_space(str(words))) for words in entries if collapse_space(str(words))}
    for words, opening in openings.items():
        if not any(fold(b.text).startswith(opening) for b in blocks):
            raise DocumentError(f"{name}.meta.yaml", f"the note paragraph beginning {words!r} is not in {name}")
    notes = [b for b in blocks if any(fold(b.text).startswith(o) for o in openings.values())]
    kept = [b for b in blocks if b not in notes]
    return Document(document_meta(name, fields, title, data, [b.text for b in notes]), tuple(kept), text)


def text_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return collapse_space(str(value))
