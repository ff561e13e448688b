"""Markdown: front matter, paragraphs marked as notes, and the blocks markdown-it-py finds in the rest."""
from __future__ import annotations

import re
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from advisor.documents import Block
from advisor.errors import DocumentError
from advisor.text import collapse_space, is_label

from ..metadata import parse_yaml

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_NOTE_MARK = re.compile(r"<!--\s*note\s*-->", re.IGNORECASE)
# The marker and the paragraph below it: its lines up to a blank line or a heading.
_NOTE = re.compile(rf"^[ \t]*{_NOTE_MARK.pattern}\s*?((?:[ \t]*(?!#)\S[^\n]*(?:\n|\Z))+)", re.MULTILINE | re.IGNORECASE)
_CELL_OPEN = ("th_open", "td_open")


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")  # no typographer: quotes and dashes stay as written


def front_matter(name: str, text: str) -> tuple[dict, str]:
    """The YAML fields between the opening `---` lines, and the text after them."""
    match = _FRONT_MATTER.match(text)
    if match:
        return parse_yaml(match.group(1), name), text[match.end():]
    if text.startswith("---"):
        raise DocumentError(name, "malformed front matter: the opening '---' has no closing '---'")
    return {}, text


def markdown_blocks(text: str) -> list[Block]:
    """Headings, paragraphs, list items, table rows and code as the words a reader of the rendered page sees.

    A paragraph of short lines without sentence punctuation (a caption over a menu label) is one block a line.
    """
    blocks: list[Block] = []
    row: list[str] | None = None
    tokens = _parser().parse(text)
    for i, token in enumerate(tokens):
        opener = tokens[i - 1] if i else None
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            blocks.append(Block(collapse_space(" ".join(row))))
            row = None
        elif token.type == "inline" and opener is not None and opener.type in _CELL_OPEN and row is not None:
            row.append(inline_text(token))
        elif token.type == "inline" and opener is not None and opener.type == "heading_open":
            blocks.append(Block(collapse_space(inline_text(token)), int(opener.tag[1])))
        elif token.type == "inline":
            lines = [collapse_space(line) for line in inline_text(token).split("\n")]
            lines = [line for line in lines if line]
            if len(lines) > 1 and all(is_label(line) for line in lines):
                blocks.extend(Block(line) for line in lines)
            else:
                blocks.append(Block(" ".join(lines)))
        elif token.type in ("fence", "code_block"):
            blocks.append(Block(collapse_space(token.content)))
        elif token.type == "html_block":
            blocks.append(Block(collapse_space(_html_words(token.content))))
    return [b for b in blocks if b.text]


def inline_text(token: Token) -> str:
    """The words of an inline run: text and code spans as written, markup and images left out, line breaks kept."""
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)


def markdown_text(text: str) -> str:
    """The text of the page markdown-it renders, as a browser shows it: what every passage must be found in."""
    return _html_words(_parser().render(text))


def _html_words(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").get_text()  # comments are not text


def take_notes(name: str, text: str) -> tuple[str, list[str]]:
    """Cut out each paragraph marked `<!-- note -->`: the text left, and the notes' words."""
    notes: list[str] = []

    def take(match: re.Match) -> str:
        notes.append(" ".join(b.text for b in markdown_blocks(match.group(1))))
        return "\n"

    text = _NOTE.sub(take, text)
    if _NOTE_MARK.search(text):
        raise DocumentError(name, "a '<!-- note -->' marker is not followed by a paragraph (a heading cannot be a note)")
    return text, notes
