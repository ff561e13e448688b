"""Typed values passed between the stages: documents, passages, quotes, answers, versions."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

OFFICIAL = "official"
SUMMARY = "summary"
LANGUAGES = ("en", "fr", "nl")


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


@dataclass(frozen=True)
class Passage:
    """A paragraph of a document, quoted verbatim; `sentences` are (start, end) offsets in `text`."""

    id: str
    document: str
    text: str
    heading: str
    position: int
    sentences: tuple[tuple[int, int], ...]
    translations: dict[str, str] = field(default_factory=dict, compare=False)  # language -> text
    questions: list[str] = field(default_factory=list, compare=False)  # researchers' phrasings it answers


@dataclass(frozen=True)
class Quote:
    text: str  # an exact substring of the stored passage
    document: str
    title: str
    issuer: str
    date: str
    url: str
    passage_id: str
    score: float
    authority: str
    highlight: tuple[int, int] | None = None  # the key sentence, offsets within `text`
    translation: str | None = None  # unofficial translation of the whole passage, if asked in its language
    translation_language: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 4)
        data["highlight"] = list(self.highlight) if self.highlight else None
        return data


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    answered: bool
    quotes: tuple[Quote, ...]
    text: str  # the whole reply as plain text
    intro: str  # the framing sentence before the quotes, in the asker's language
    footer: str  # disclaimer and whom to ask, in the asker's language
    version: str | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answered": self.answered,
            "quotes": [q.to_dict() for q in self.quotes],
            "text": self.text,
            "language": self.language,
            "intro": self.intro,
            "footer": self.footer,
            "version": self.version,
        }


@dataclass(frozen=True)
class VersionInfo:
    """One published or building version of the knowledge."""

    id: str
    created: str
    created_by: str
    model: str
    documents: tuple[DocumentMeta, ...]
    translations: dict[str, str]  # path -> content hash (translations and attached questions)
    passages: int
    synonyms: str = ""
    passage_ids: tuple[str, ...] = ()
    forced: bool = False
    fingerprint: str = ""  # of the input files, model and pipeline: equal means nothing to rebuild

    def to_dict(self) -> dict:
        data = asdict(self)
        data["documents"] = [d.to_dict() for d in self.documents]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> VersionInfo:
        docs = tuple(DocumentMeta.from_dict(d) for d in data.get("documents", ()))
        return cls(**(data | {"documents": docs, "passage_ids": tuple(data.get("passage_ids", ()))}))
