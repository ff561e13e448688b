"""Documents -> passages: the document's own paragraphs, with stable ids and their headings as context."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from advisor.documents import AttachedQuestions, Document, Translation
from advisor.errors import DocumentError
from advisor.passages import Passage
from advisor.text import collapse_space, fold, is_label, sentence_spans

MAX_PASSAGE_CHARS = 700
TARGET_PIECE_CHARS = 450

# Leftovers of the web page a text was saved from.
_BOILERPLATE = re.compile(
    r"^(?:share(?: this)?(?: news| page| article)?|share on \w+|print(?: this page)?|tweet|back(?: to top)?|"
    r"read more|more news|home|menu|search|close|next|previous|subscribe(?: to .*)?|follow us.*|"
    r"cookies?(?: settings| policy)?|skip to (?:main )?content|img\w*|image|photo|"
    r"(?:in )?(?:\w+ )?(?:press releases?|news|actualités?|nieuws)|all rights reserved.*)$",
    re.IGNORECASE,
)


def is_boilerplate(text: str) -> bool:
    return bool(_BOILERPLATE.match(text.strip()))


def passage_id(document: str, text: str, occurrence: int = 0) -> str:
    digest = hashlib.sha256(f"{document}\n{fold(collapse_space(text))}".encode()).hexdigest()[:16]
    return digest if occurrence == 0 else f"{digest}-{occurrence}"


def chunk(document: Document) -> tuple[list[Passage], int]:
    """Return the document's passages and how many blocks were left out as page furniture."""
    blocks = [b for b in document.blocks if b.text.strip()]
    headings: dict[int, str] = {}
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    skipped = 0

    for i, block in enumerate(blocks):
        text = collapse_space(block.text)
        if block.heading_level:
            headings = {lvl: h for lvl, h in headings.items() if lvl < block.heading_level}
            headings[block.heading_level] = text
            continue
        if is_boilerplate(text):
            skipped += 1
            continue
        if is_label(text):
            following = next((b for b in blocks[i + 1:] if not is_boilerplate(b.text)), None)
            if following is not None and not following.heading_level and not is_label(following.text):
                headings = {lvl: h for lvl, h in headings.items() if lvl < 7}
                headings[7] = text  # an unmarked heading: context for the paragraph under it
                continue
            if len(text.split()) < 4:
                skipped += 1
                continue
        heading = headings[max(headings)] if headings else ""
        for piece in _split_long(text):
            occurrence = seen.get(piece, 0)
            seen[piece] = occurrence + 1
            passages.append(Passage(
                id=passage_id(document.meta.path, piece, occurrence),
                document=document.meta.path,
                text=piece,
                heading=heading,
                position=len(passages),
                sentences=tuple(sentence_spans(piece)),
                paragraph=i,
            ))
    return passages, skipped


def _split_long(text: str) -> list[str]:
    """A paragraph too long to quote is cut at sentence boundaries into pieces of similar size."""
    if len(text) <= MAX_PASSAGE_CHARS:
        return [text]
    spans = sentence_spans(text)
    pieces, start = [], spans[0][0]
    for s, e in spans:
        if e - start > TARGET_PIECE_CHARS and s > start:
            pieces.append(text[start:s].strip())
            start = s
    pieces.append(text[start:].strip())
    return [p for p in pieces if p]


def attach(passages: list[Passage], extra: Translation | AttachedQuestions) -> tuple[list[Passage], list[DocumentError]]:
    """The passages with each anchored block linked to the one paragraph its anchor opens; the rest reported by name.

    A translation renders a whole paragraph, so every piece of a long paragraph gets it: a quote from its second
    half shows the translation too. Questions go to the paragraph's first piece, which the anchor opens.
    """
    passages = list(passages)
    problems = []
    openings = [i for i, p in enumerate(passages) if i == 0 or passages[i - 1].paragraph != p.paragraph]
    for block in extra.blocks:
        anchor = fold(collapse_space(block.anchor))
        matches = [i for i in openings if fold(passages[i].text).startswith(anchor)]
        if len(matches) != 1:
            what = "no longer exists in" if not matches else f"matches {len(matches)} paragraphs of"
            problems.append(DocumentError(extra.path, f"the original paragraph beginning {block.anchor!r} {what} {extra.original}"))
            continue
        target = passages[matches[0]]
        if isinstance(extra, Translation):
            for i, piece in enumerate(passages):
                if piece.paragraph == target.paragraph:
                    passages[i] = replace(piece, translations=piece.translations | {extra.language: block.text})
        else:
            asked = [q for q in block.text.split("\n") if q not in target.questions]
            passages[matches[0]] = replace(target, questions=[*target.questions, *asked])
    return passages, problems
