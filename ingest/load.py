"""Files -> documents, translations and attached questions; a bad file becomes a DocumentError that names it."""
from __future__ import annotations

import re
from pathlib import Path

from advisor.documents import LANGUAGES, AttachedQuestions, Document, TranslatedBlock, Translation
from advisor.errors import DocumentError
from advisor.gaps import GAPS_FILE
from advisor.strings import t
from advisor.text import collapse_space

from .formats import accepted, unsupported
from .formats.docx import read_docx
from .formats.html import read_html
from .formats.markdown import COMMENT, front_matter, markdown_blocks, markdown_text, take_notes
from .formats.pdf import read_pdf
from .formats.plain import decode, read_text
from .limits import Limits, default_limits
from .metadata import META_FIELDS, check_fields, content_hash, document_meta, sidecar, text_field, with_sidecar

RESERVED = {"synonyms.txt", "checks.jsonl", "readme.md", GAPS_FILE}  # files of the knowledge folder that are not documents
_ANCHOR = re.compile(r"<!--\s*original:\s*(.*?)\s*-->", re.DOTALL)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def load(path: Path, name: str, limits: Limits | None = None) -> Document | Translation | AttachedQuestions:
    """Load one file; `name` is its path relative to the knowledge directory (its identity).

    Whatever goes wrong in a parser (broken XML, a damaged PDF, deep nesting, no memory) becomes a DocumentError
    that names the file, so one bad file never stops an ingestion or a server.
    """
    limits = limits or default_limits()
    suffix = path.suffix.lower()
    if not accepted(name):
        raise DocumentError(name, unsupported(name))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, f"cannot be read: {exc.strerror}") from exc
    if not data.strip():
        raise DocumentError(name, "the file is empty")
    try:
        loaded = _read(path, name, data, suffix, limits)
    except DocumentError:
        raise
    except MemoryError:
        raise DocumentError(name, "reading it needs more memory than this machine allows") from None
    except RecursionError:
        raise DocumentError(name, "its structure is nested too deeply to read") from None
    except Exception as exc:  # a parser's own error: the file is damaged or not what its name says
        raise DocumentError(name, f"cannot be read as {suffix.lstrip('.').upper()} ({type(exc).__name__}: "
                                  f"{str(exc)[:200]})") from exc
    if isinstance(loaded, Document):
        if not any(re.search(r"\w", b.text) for b in loaded.blocks):
            raise DocumentError(name, "it has no extractable words" + (" (a scanned image?)" if suffix == ".pdf" else ""))
        if len(loaded.meta.title) > limits.max_field_chars:  # a title taken from a heading or the file's properties
            raise DocumentError(name, f"its title is {len(loaded.meta.title):,} characters long; the limit is "
                                      f"{limits.max_field_chars} (ADVISOR_MAX_FIELD_CHARS)")
        size = sum(len(b.text) for b in loaded.blocks)
        if size > limits.max_document_chars:
            raise DocumentError(name, f"it holds {size:,} characters of text; the limit is {limits.max_document_chars:,} "
                                      "(ADVISOR_MAX_DOCUMENT_CHARS)")
    return loaded


def _read(path: Path, name: str, data: bytes, suffix: str, limits: Limits) -> Document | Translation | AttachedQuestions:
    if suffix == ".md":
        return _markdown(name, data, limits)
    if suffix == ".txt":
        extracted = read_text(name, data)
    elif suffix in (".html", ".htm"):
        extracted = read_html(name, data)
    elif suffix == ".pdf":
        extracted = read_pdf(path, name, data, limits.pdf_max_pages)
    else:
        extracted = read_docx(path, name, data, limits)
    fields = extracted.fields | sidecar(path, name)
    check_fields(name, fields, limits.max_field_chars)
    return with_sidecar(name, fields, extracted.title, extracted.blocks, data, extracted.text)


def _markdown(name: str, data: bytes, limits: Limits) -> Document | Translation | AttachedQuestions:
    fields, text = front_matter(name, decode(data, name))
    check_fields(name, fields, limits.max_field_chars)
    unknown = set(fields) - META_FIELDS - {"translation_of", "questions_for", "note"}
    if unknown:
        raise DocumentError(name, f"unknown front matter field(s): {', '.join(sorted(unknown))}")
    if "translation_of" in fields:
        return _translation(name, fields, text, data)
    if "questions_for" in fields:
        asked = _anchored_blocks(name, text, lines=True)
        return AttachedQuestions(name, str(fields["questions_for"]).strip(), asked, content_hash(data))
    source, notes = take_notes(name, text)
    blocks = markdown_blocks(source)
    first_heading = next((b.text for b in blocks if b.heading_level), "")
    return Document(document_meta(name, fields, first_heading, data, notes), tuple(blocks), markdown_text(text))


def _translation(name: str, fields: dict, text: str, data: bytes) -> Translation:
    language = str(fields.get("language") or "").strip().lower()
    if language not in LANGUAGES:
        raise DocumentError(name, f"unknown language code {language!r} (use one of: {', '.join(LANGUAGES)})")
    return Translation(
        path=name,
        original=str(fields["translation_of"]).strip(),
        language=language,
        title=text_field(fields.get("title")),
        note=text_field(fields.get("note")) or t(language, "translation_note"),
        blocks=_anchored_blocks(name, text, lines=False),
        content_hash=content_hash(data),
    )


def _anchored_blocks(name: str, text: str, lines: bool) -> tuple[TranslatedBlock, ...]:
    """The text after each `<!-- original: opening words -->`, as one paragraph or one entry a line."""
    pieces = _ANCHOR.split(text)
    if len(pieces) < 3:
        raise DocumentError(name, "expected '<!-- original: opening words -->' before each paragraph it refers to")
    blocks = []
    for anchor, body in zip(pieces[1::2], pieces[2::2]):
        body = COMMENT.sub("", body)
        if lines:
            entries = [_LIST_ITEM.sub("", line).strip() for line in body.splitlines()]
            body_text = "\n".join(collapse_space(e) for e in entries if e and not e.startswith("#"))
        else:
            body_text = " ".join(b.text for b in markdown_blocks(body) if not b.heading_level)
        if not body_text:
            raise DocumentError(name, f"nothing follows the anchor for original {anchor!r}")
        blocks.append(TranslatedBlock(collapse_space(anchor), body_text))
    return tuple(blocks)
