"""Files -> documents: one loader per format, each turning a bad file into a DocumentError that names it."""
from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

import yaml

from bot.errors import DocumentError
from bot.models import (
    LANGUAGES, OFFICIAL, SUMMARY, AttachedQuestions, Block, Document, DocumentMeta, TranslatedBlock, Translation,
)
from bot.text import collapse_space, fold

SUPPORTED = (".md", ".txt", ".html", ".htm", ".pdf", ".docx")
RESERVED = {"synonyms.txt", "checks.jsonl", "readme.md"}
META_FIELDS = {"title", "issuer", "date", "url", "language", "authority", "as_of", "sources", "note"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_ANCHOR = re.compile(r"<!--\s*original:\s*(.*?)\s*-->", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_NOTE_MARK = re.compile(r"<!--\s*note\s*-->", re.IGNORECASE)
# The marker and the paragraph below it: its lines up to a blank line or a heading.
_NOTE = re.compile(rf"^[ \t]*{_NOTE_MARK.pattern}\s*?((?:[ \t]*(?!#)\S[^\n]*(?:\n|\Z))+)", re.MULTILINE | re.IGNORECASE)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load(path: Path, name: str) -> Document | Translation | AttachedQuestions:
    """Load one file; `name` is its path relative to the knowledge directory (its identity)."""
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None:
        raise DocumentError(name, f"unsupported file type {path.suffix!r} (supported: {', '.join(SUPPORTED)})")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, f"cannot be read: {exc.strerror}") from exc
    if not data.strip():
        raise DocumentError(name, "the file is empty")
    return loader(path, name, data)


# Metadata ----------------------------------------------------------------------
def _sidecar(path: Path, name: str) -> dict:
    sidecar = path.with_name(path.name + ".meta.yaml")
    if not sidecar.exists():
        return {}
    return _parse_yaml(sidecar.read_text(encoding="utf-8"), f"{name}.meta.yaml")


def _parse_yaml(text: str, name: str) -> dict:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise DocumentError(name, f"malformed front matter{where}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise DocumentError(name, "malformed front matter: expected 'key: value' lines")
    return data


def _meta(name: str, fields: dict, fallback_title: str, data: bytes, notes: Sequence[str] = ()) -> DocumentMeta:
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
        title=_text(fields.get("title")) or fallback_title or Path(name).stem,
        issuer=_text(fields.get("issuer")),
        date=_text(fields.get("date")),
        url=_text(fields.get("url")),
        language=language,
        authority=authority,
        as_of=_text(fields.get("as_of")),
        sources=tuple(str(s) for s in sources),
        content_hash=content_hash(data),
        note=" ".join(n for n in (_text(fields.get("note")), *notes) if n),
    )


def _sidecar_document(name: str, fields: dict, title: str, blocks: list[Block], data: bytes) -> Document:
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
    return Document(_meta(name, fields, title, data, [b.text for b in notes]), tuple(kept))


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return collapse_space(str(value))


def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(name, "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(name, f"is not valid UTF-8 text (bad byte at position {exc.start}); save it as UTF-8") from exc


# Plain text and Markdown -----------------------------------------------------------
def _paragraph_blocks(text: str, markdown: bool) -> list[Block]:
    """Split at blank lines; headings and list items stand alone; a run of short lines is one block a line."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        current: list[str] = []

        def flush() -> None:
            if current:
                blocks.append(Block(_plain(" ".join(current)) if markdown else collapse_space(" ".join(current))))
                current.clear()

        if len(lines) > 1 and all(_is_label(line) for line in lines):
            blocks.extend(Block(collapse_space(line)) for line in lines)
            continue
        for line in lines:
            heading = _HEADING.match(line) if markdown else None
            if heading:
                flush()
                blocks.append(Block(_plain(heading.group(2)), len(heading.group(1))))
            elif markdown and _LIST_ITEM.match(line):
                flush()
                current.append(_LIST_ITEM.sub("", line))
            else:
                current.append(line)
        flush()
    return [b for b in blocks if b.text]


def _is_label(line: str) -> bool:
    return len(line.split()) <= 8 and not re.search(r"[.!?:;…]['\"”’)]?$", line)


def _plain(text: str) -> str:
    """Markdown inline markup to the words a reader sees."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"^>\s?", "", text)
    return collapse_space(text)


def _load_markdown(path: Path, name: str, data: bytes) -> Document | Translation:
    text = _decode(data, name)
    fields: dict = {}
    match = _FRONT_MATTER.match(text)
    if match:
        fields = _parse_yaml(match.group(1), name)
        text = text[match.end():]
    elif text.startswith("---"):
        raise DocumentError(name, "malformed front matter: the opening '---' has no closing '---'")
    unknown = set(fields) - META_FIELDS - {"translation_of", "questions_for", "note"}
    if unknown:
        raise DocumentError(name, f"unknown front matter field(s): {', '.join(sorted(unknown))}")
    if "translation_of" in fields:
        return _translation(name, fields, text, data)
    if "questions_for" in fields:
        blocks = _anchored_blocks(name, text, lines=True)
        return AttachedQuestions(name, str(fields["questions_for"]).strip(), blocks, content_hash(data))
    text, notes = _take_notes(name, text)
    blocks = _paragraph_blocks(_COMMENT.sub("", text), markdown=True)
    first_heading = next((b.text for b in blocks if b.heading_level), "")
    return Document(_meta(name, fields, first_heading, data, notes), tuple(blocks))


def _take_notes(name: str, text: str) -> tuple[str, list[str]]:
    """Cut out each paragraph marked `<!-- note -->`: the text left, and the notes' words."""
    notes: list[str] = []

    def take(match: re.Match) -> str:
        notes.append(_plain(match.group(1)))
        return "\n"

    text = _NOTE.sub(take, text)
    if _NOTE_MARK.search(text):
        raise DocumentError(name, "a '<!-- note -->' marker is not followed by a paragraph (a heading cannot be a note)")
    return text, notes


def _translation(name: str, fields: dict, text: str, data: bytes) -> Translation:
    language = str(fields.get("language") or "").strip().lower()
    if language not in LANGUAGES:
        raise DocumentError(name, f"unknown language code {language!r} (use one of: {', '.join(LANGUAGES)})")
    return Translation(
        path=name,
        original=str(fields["translation_of"]).strip(),
        language=language,
        title=_text(fields.get("title")),
        note=_text(fields.get("note")) or "Unofficial translation; only the original text is authoritative.",
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
        body = _COMMENT.sub("", body)
        if lines:
            entries = [_LIST_ITEM.sub("", line).strip() for line in body.splitlines()]
            body_text = "\n".join(collapse_space(e) for e in entries if e and not e.startswith("#"))
        else:
            body_text = " ".join(b.text for b in _paragraph_blocks(body, markdown=True) if not b.heading_level)
        if not body_text:
            raise DocumentError(name, f"nothing follows the anchor for original {anchor!r}")
        blocks.append(TranslatedBlock(collapse_space(anchor), body_text))
    return tuple(blocks)


def _load_text(path: Path, name: str, data: bytes) -> Document:
    blocks = _paragraph_blocks(_decode(data, name), markdown=False)
    if not blocks:
        raise DocumentError(name, "has no text")
    title = ""
    if _is_label(blocks[0].text):  # a plain-text file's first short line is its title
        title = blocks[0].text
        blocks[0] = Block(title, 1)
    return _sidecar_document(name, _sidecar(path, name), title, blocks, data)


# HTML ----------------------------------------------------------------------------
_HTML_DROP = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template", "svg", "button"]
_HTML_BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dd", "dt", "td", "th", "figcaption"]


def _load_html(path: Path, name: str, data: bytes) -> Document:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(_HTML_DROP):
        tag.decompose()
    fields = {}
    for key, meta_name in (("issuer", "author"), ("date", "date"), ("language", "language")):
        tag = soup.find("meta", attrs={"name": meta_name})
        if tag and tag.get("content"):
            fields[key] = tag["content"]
    if soup.html and soup.html.get("lang") and "language" not in fields:
        fields["language"] = soup.html["lang"].split("-")[0]
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks = []
    for tag in root.find_all(_HTML_BLOCKS):
        if tag.find_parent(_HTML_BLOCKS):  # nested: its text is part of the outer block
            continue
        text = collapse_space(tag.get_text(" ", strip=True))
        if text:
            level = int(tag.name[1]) if tag.name[0] == "h" and tag.name[1:].isdigit() else 0
            blocks.append(Block(text, level))
    if not blocks:
        blocks = [Block(line) for line in (collapse_space(s) for s in root.get_text("\n").split("\n")) if line]
    if not blocks:
        raise DocumentError(name, "the HTML page has no text")
    title = title or next((b.text for b in blocks if b.heading_level), "")
    return _sidecar_document(name, fields | _sidecar(path, name), title, blocks, data)


# PDF -----------------------------------------------------------------------------
def _load_pdf(path: Path, name: str, data: bytes) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise DocumentError(name, "is not a PDF (no %PDF header)")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise DocumentError(name, "the PDF is encrypted; upload an unprotected copy")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(name, f"the PDF is damaged or truncated ({exc})") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError(name, "the PDF has no extractable text (a scanned image?)")
    blocks = _pdf_blocks(text)
    return _sidecar_document(name, _sidecar(path, name), collapse_space(info_title), blocks, data)


def _pdf_blocks(text: str) -> list[Block]:
    """PDF text has hard line breaks: join lines, and end a paragraph at a blank line or a short final line."""
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    width = max((len(line) for line in lines), default=0)
    blocks, current = [], []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                blocks.append(current)
                current = []
            continue
        if current and current[-1].endswith("-") and stripped[:1].islower():
            current[-1] = current[-1][:-1] + stripped  # a word hyphenated across lines
        else:
            current.append(stripped)
        if re.search(r"[.!?:]['\"”’)]?$", stripped) and len(stripped) < 0.75 * width:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [Block(collapse_space(" ".join(b))) for b in blocks if collapse_space(" ".join(b))]


# DOCX ----------------------------------------------------------------------------
def _load_docx(path: Path, name: str, data: bytes) -> Document:
    if not zipfile.is_zipfile(path):
        raise DocumentError(name, "is not a valid DOCX file (not a zip archive)")
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(name, f"is not a valid DOCX file ({exc})") from exc
    blocks = []
    for paragraph in document.paragraphs:
        text = collapse_space(paragraph.text)
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = 0
        if style == "Title":
            level = 1
        elif m := re.match(r"Heading (\d)", style):
            level = min(6, int(m.group(1)) + 1)
        blocks.append(Block(text, level))
    for table in document.tables:
        for row in table.rows:
            text = collapse_space(" | ".join(dict.fromkeys(cell.text.strip() for cell in row.cells if cell.text.strip())))
            if text:
                blocks.append(Block(text))
    if not blocks:
        raise DocumentError(name, "the DOCX document has no text")
    title = collapse_space(document.core_properties.title or "") or next((b.text for b in blocks if b.heading_level), "")
    return _sidecar_document(name, _sidecar(path, name), title, blocks, data)


_LOADERS: dict[str, Callable[[Path, str, bytes], Document | Translation]] = {
    ".md": _load_markdown,
    ".txt": _load_text,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
}
