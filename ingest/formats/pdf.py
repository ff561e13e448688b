"""PDF: pypdf's text, its hard line breaks joined back into paragraphs; a line-end hyphen kept unless attested soft."""
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
        pages = [_page_text(page) for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(name, f"the PDF is damaged or truncated ({exc})") from exc
    text = _join_soft_hyphens("\n\n".join(pages))
    if not re.search(r"\w", text):
        raise DocumentError(name, "the PDF has no extractable words (a scanned image?)")
    return Extracted(_pdf_blocks(text), collapse_space(info_title), text=text)


def _declared_pages(reader) -> int | None:
    """The page count the document's page tree declares, if it declares one."""
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(count)
    except Exception:  # no or odd page tree: pypdf's own walk decides
        return None


def _page_text(page) -> str:
    """The page's text in pypdf's layout mode, whose blank lines show the gaps between paragraphs, when it holds
    exactly the characters of the plain mode; otherwise (columns side by side, odd fonts) the plain mode's."""
    plain = page.extract_text() or ""
    try:
        laid_out = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # the layout mode is younger and stricter; the plain text is enough
        return plain
    return laid_out if "".join(laid_out.split()) == "".join(plain.split()) else plain


def _join_soft_hyphens(text: str) -> str:
    """Join a word hyphenated at a line end only when the document writes the joined word whole elsewhere:
    "inter-\nnational" becomes "international", "dual-\nuse" stays "dual-use"."""
    known = {w.lower() for w in re.findall(r"\w+", _LINE_END_HYPHEN.sub(" ", text))}

    def join(match: re.Match) -> str:
        head, space, tail = match.group(1), match.group(2), match.group(3)
        soft = tail[0].islower() and (head + tail).lower() in known
        return f"{head}{'' if soft else '-'}{tail}\n{space}"  # a word is never cut by a line break

    return _LINE_END_HYPHEN.sub(join, text)


_LINE_END_HYPHEN = re.compile(r"(\w+)-[ \t]*\n([ \t]*)(\w+)")


def _pdf_blocks(text: str) -> list[Block]:
    """PDF text has hard line breaks: join lines, and end a paragraph at a blank line or a short final line."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    width = max((len(line) for line in lines), default=0)
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(line)
        if re.search(r"[.!?:]['\"”’)]?$", line) and len(line) < 0.75 * width:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return [Block(collapse_space(" ".join(b))) for b in blocks if collapse_space(" ".join(b))]
