"""Plain text, and the paragraph splitting Markdown shares with it."""
from __future__ import annotations

import re

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space, is_label

from . import Extracted

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(name, "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(name, f"is not valid UTF-8 text (bad byte at position {exc.start}); save it as UTF-8") from exc


def paragraph_blocks(text: str, markdown: bool) -> list[Block]:
    """Split at blank lines; headings and list items stand alone; a run of short lines is one block a line."""
    blocks: list[Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            joined = " ".join(current)
            blocks.append(Block(markdown_inline(joined) if markdown else collapse_space(joined)))
            current.clear()

    for chunk in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        if len(lines) > 1 and all(is_label(line) for line in lines):
            blocks.extend(Block(collapse_space(line)) for line in lines)
            continue
        for line in lines:
            heading = HEADING.match(line) if markdown else None
            if heading:
                flush()
                blocks.append(Block(markdown_inline(heading.group(2)), len(heading.group(1))))
            elif markdown and LIST_ITEM.match(line):
                flush()
                current.append(LIST_ITEM.sub("", line))
            else:
                current.append(line)
        flush()
    return [b for b in blocks if b.text]


def markdown_inline(text: str) -> str:
    """Markdown inline markup to the words a reader sees."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(?<![\w*])\*\*(?!\s)(.+?)(?<!\s)\*\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<!\w)__(?!\s)(.+?)(?<!\s)__(?!\w)", r"\1", text)  # not inside words: __init__ stays
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = re.sub(r"^>\s?", "", text)
    return collapse_space(text)


def read_text(name: str, data: bytes) -> Extracted:
    blocks = paragraph_blocks(decode(data, name), markdown=False)
    if not blocks:
        raise DocumentError(name, "has no text")
    title = ""
    if is_label(blocks[0].text):  # a plain-text file's first short line is its title
        title = blocks[0].text
        blocks[0] = Block(title, 1)
    return Extracted(blocks, title)
