"""Plain text: paragraphs at blank lines, a run of short lines one block a line."""
from __future__ import annotations

import re

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space, is_label

from . import Extracted


def decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:8192]:
        raise DocumentError(name, "looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(name, f"is not valid UTF-8 text (bad byte at position {exc.start}); save it as UTF-8") from exc


def paragraph_blocks(text: str) -> list[Block]:
    """Split at blank lines; a run of short lines (a menu, a caption and its label) is one block a line."""
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = [collapse_space(line) for line in chunk.split("\n") if line.strip()]
        if len(lines) > 1 and all(is_label(line) for line in lines):
            blocks.extend(Block(line) for line in lines)
        elif lines:
            blocks.append(Block(" ".join(lines)))
    return blocks


def read_text(name: str, data: bytes) -> Extracted:
    text = decode(data, name)
    blocks = paragraph_blocks(text)
    if not blocks:
        raise DocumentError(name, "has no text")
    title = ""
    if is_label(blocks[0].text):  # a plain-text file's first short line is its title
        title = blocks[0].text
        blocks[0] = Block(title, 1)
    return Extracted(blocks, title, text=text)
