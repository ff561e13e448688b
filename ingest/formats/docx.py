"""DOCX: paragraphs with their heading styles, then table rows."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space

from . import Extracted


def read_docx(path: Path, name: str, data: bytes) -> Extracted:
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
    return Extracted(blocks, title)
