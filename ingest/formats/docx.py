"""DOCX: paragraphs with their heading styles, then table rows."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space

from ..limits import DEFAULT_LIMITS, Limits
from . import Extracted


def _check_archive(path: Path, name: str, limits: Limits) -> None:
    """Refuse a zip bomb from its directory, before anything is unpacked (zipfile stops at the declared sizes)."""
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    if len(entries) > limits.docx_max_entries:
        raise DocumentError(name, f"the DOCX archive has {len(entries):,} entries; the limit is {limits.docx_max_entries} "
                                  "(ADVISOR_DOCX_MAX_ENTRIES)")
    unpacked = sum(e.file_size for e in entries)
    if unpacked > limits.docx_max_unpacked_mb * 2**20:
        raise DocumentError(name, f"the DOCX unpacks to {unpacked / 2**20:,.0f} MB; the limit is {limits.docx_max_unpacked_mb} MB "
                                  "(ADVISOR_DOCX_MAX_UNPACKED_MB)")
    for entry in entries:
        if entry.file_size > 2**20 and entry.file_size > limits.docx_max_ratio * max(entry.compress_size, 1):
            raise DocumentError(name, f"the DOCX entry {entry.filename!r} unpacks {entry.file_size // max(entry.compress_size, 1):,} "
                                      f"times its packed size; the limit is {limits.docx_max_ratio} (ADVISOR_DOCX_MAX_RATIO)")


def read_docx(path: Path, name: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> Extracted:
    if not zipfile.is_zipfile(path):
        raise DocumentError(name, "is not a valid DOCX file (not a zip archive)")
    _check_archive(path, name, limits)
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
    return Extracted(blocks, title)
