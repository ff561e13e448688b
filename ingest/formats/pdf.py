"""PDF: pypdf's text, its hard line breaks joined back into paragraphs."""
from __future__ import annotations

import re
from pathlib import Path

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space

from . import Extracted


def read_pdf(path: Path, name: str, data: bytes, max_pages: int = 500) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise DocumentError(name, "is not a PDF (no %PDF header)")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            raise DocumentError(name, "the PDF is encrypted; upload an unprotected copy")
        declared = _declared_pages(reader)  # read before the page tree is walked: a hostile tree can be huge
        if declared is not None and declared > max_pages:
            raise DocumentError(name, f"the PDF has {declared:,} pages; the limit is {max_pages} (ADVISOR_PDF_MAX_PAGES)")
        if len(reader.pages) > max_pages:
            raise DocumentError(name, f"the PDF has {len(reader.pages):,} pages; the limit is {max_pages} (ADVISOR_PDF_MAX_PAGES)")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(name, f"the PDF is damaged or truncated ({exc})") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError(name, "the PDF has no extractable text (a scanned image?)")
    return Extracted(_pdf_blocks(text), collapse_space(info_title))


def _declared_pages(reader) -> int | None:
    """The page count the document's page tree declares, if it declares one."""
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(count)
    except Exception:  # no or odd page tree: pypdf's own walk decides
        return None


def _pdf_blocks(text: str) -> list[Block]:
    """PDF text has hard line breaks: join lines, and end a paragraph at a blank line or a short final line."""
    lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
    width = max((len(line) for line in lines), default=0)
    # Words the document writes whole: a hyphen at a line end is a soft break only if the joined word is one of them.
    known = {w.lower() for w in re.findall(r"\w+", re.sub(r"\w+-\n\s*\w+", " ", text))}
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if current:
                blocks.append(current)
                current = []
            continue
        if current and current[-1].endswith("-") and stripped[:1].islower():
            head = re.search(r"(\w+)-$", current[-1])
            tail = re.match(r"\w+", stripped)
            soft = head is not None and tail is not None and (head.group(1) + tail.group(0)).lower() in known
            current[-1] = (current[-1][:-1] if soft else current[-1]) + stripped  # "inter-\nnational", "dual-\nuse"
        else:
            current.append(stripped)
        if re.search(r"[.!?:]['\"”’)]?$", stripped) and len(stripped) < 0.75 * width:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [Block(collapse_space(" ".join(b))) for b in blocks if collapse_space(" ".join(b))]
