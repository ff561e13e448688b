"""DOCX: paragraphs with their heading styles and table rows, in the order of the body."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space

from ..limits import Limits, default_limits
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


def read_docx(path: Path, name: str, data: bytes, limits: Limits | None = None) -> Extracted:
    if not zipfile.is_zipfile(path):
        raise DocumentError(name, "is not a valid DOCX file (not a zip archive)")
    _check_archive(path, name, limits or default_limits())
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(name, f"is not a valid DOCX file ({exc})") from exc
    blocks = _blocks(document)
    if not blocks:
        raise DocumentError(name, "the DOCX document has no text")
    title = collapse_space(document.core_properties.title or "") or next((b.text for b in blocks if b.heading_level), "")
    return Extracted(blocks, title, text=_xml_text(document))


def _blocks(document) -> list[Block]:
    """Paragraphs (list items among them) with their heading levels, and each table row, in the body's order."""
    from docx.table import Table

    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(Block(row) for row in _rows(item))
            continue
        text = collapse_space(item.text)
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        level = 0
        if style == "Title":
            level = 1
        elif m := re.match(r"Heading (\d)", style):
            level = min(6, int(m.group(1)) + 1)
        blocks.append(Block(text, level))
    return blocks


def _rows(table) -> list[str]:
    """A table's rows, each its cells' words in order (a merged cell once); a table inside a cell cuts the row
    where it stands and gives its own rows."""
    from docx.table import Table

    rows: list[str] = []
    for row in table.rows:
        words: list[str] = []
        for cell in {c._tc: c for c in row.cells}.values():
            for item in cell.iter_inner_content():
                if isinstance(item, Table):
                    rows.append(" ".join(words))
                    words = []
                    rows.extend(_rows(item))
                else:
                    words.append(item.text)
        rows.append(" ".join(words))
    return [text for text in map(collapse_space, rows) if text]


def _xml_text(document) -> str:
    """Every paragraph's text straight from the XML, in the body's order, tables included (line breaks and tabs
    as white space)."""
    from docx.oxml.ns import qn

    text_tag = qn("w:t")
    paragraphs = document.element.body.iter(qn("w:p"))
    return "\n".join("".join(el.text or "" if el.tag == text_tag else "\n" for el in p.iter(text_tag, qn("w:tab"),
                                                                                              qn("w:br"), qn("w:cr")))
                     for p in paragraphs)
