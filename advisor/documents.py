"""What ingestion reads and every stage names: a document, its metadata, its translations and attached questions."""
from __future__ import annotations

import urllib.parse
from dataclasses import asdict, dataclass, field
from typing import Literal, get_args

OFFICIAL = "official"
SUMMARY = "summary"
Language = Literal["en", "fr", "nl"]  # the languages the advisor answers in: every door offers these
LANGUAGES: tuple[Language, ...] = get_args(Language)


def view_url(document: str, passage_id: str, translated_into: str | None = None, base_url: str = "") -> str:
    """Where a passage can be read in its document on the web server (`base_url`; empty: a path on that server),
    scrolled to it, with each paragraph's translation into `translated_into` beside it."""
    beside = f"?lang={translated_into}" if translated_into else ""
    return f"{base_url.rstrip('/')}/documents/{urllib.parse.quote(document, safe='/')}{beside}#{urllib.parse.quote(passage_id)}"


@dataclass(frozen=True)
class DocumentMeta:
    """What a reader needs to know about where a quote comes from."""

    path: str  # relative to the knowledge directory; the document's identity
    title: str
    issuer: str = ""
    date: str = ""
    url: str = ""
    language: str = "en"
    authority: str = SUMMARY
    as_of: str = ""
    sources: tuple[str, ...] = ()
    content_hash: str = ""
    note: str = ""  # preamble or disclaimer: shown with the document, never quoted

    def to_dict(self) -> dict:
        return asdict(self) | {"sources": list(self.sources)}

    @classmethod
    def from_dict(cls, data: dict) -> DocumentMeta:
        return cls(**(data | {"sources": tuple(data.get("sources", ()))}))


@dataclass(frozen=True)
class Block:
    """A piece of a loaded document before it becomes a passage."""

    text: str
    heading_level: int = 0  # 0 for body text, 1..6 for a heading


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    blocks: tuple[Block, ...]
    text: str = field(default="", repr=False)  # the text its parser extracted; every passage is found in it, white space aside


@dataclass(frozen=True)
class TranslatedBlock:
    """One translated paragraph and the opening words of the original it renders."""

    anchor: str
    text: str


@dataclass(frozen=True)
class Translation:
    """An unofficial translation file: its paragraphs point at an original document."""

    path: str
    original: str  # path of the translated document, relative to the knowledge directory
    language: str
    title: str
    note: str
    blocks: tuple[TranslatedBlock, ...]
    content_hash: str = ""


@dataclass(frozen=True)
class AttachedQuestions:
    """Questions researchers ask, in their own words, attached to the paragraphs that answer them."""

    path: str
    original: str
    blocks: tuple[TranslatedBlock, ...]  # text: one question a line
    content_hash: str = ""
