"""Markdown: front matter, paragraphs marked as notes, and the blocks of the rest."""
from __future__ import annotations

import re

from advisor.documents import Block
from advisor.errors import DocumentError

from ..metadata import parse_yaml
from .plain import markdown_inline, paragraph_blocks

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_NOTE_MARK = re.compile(r"<!--\s*note\s*-->", re.IGNORECASE)
# The marker and the paragraph below it: its lines up to a blank line or a heading.
_NOTE = re.compile(rf"^[ \t]*{_NOTE_MARK.pattern}\s*?((?:[ \t]*(?!#)\S[^\n]*(?:\n|\Z))+)", re.MULTILINE | re.IGNORECASE)


def front_matter(name: str, text: str) -> tuple[dict, str]:
    """The YAML fields between the opening `---` lines, and the text after them."""
    match = _FRONT_MATTER.match(text)
    if match:
        return parse_yaml(match.group(1), name), text[match.end():]
    if text.startswith("---"):
        raise DocumentError(name, "malformed front matter: the opening '---' has no closing '---'")
    return {}, text


def markdown_blocks(text: str) -> list[Block]:
    return paragraph_blocks(COMMENT.sub("", text), markdown=True)


def take_notes(name: str, text: str) -> tuple[str, list[str]]:
    """Cut out each paragraph marked `<!-- note -->`: the text left, and the notes' words."""
    notes: list[str] = []

    def take(match: re.Match) -> str:
        notes.append(markdown_inline(match.group(1)))
        return "\n"

    text = _NOTE.sub(take, text)
    if _NOTE_MARK.search(text):
        raise DocumentError(name, "a '<!-- note -->' marker is not followed by a paragraph (a heading cannot be a note)")
    return text, notes
