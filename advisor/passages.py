"""Documents cut into passages, and the searchable units (passage, sentence, translation, question) stored for each."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from .gaps import Gap


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
    paragraph: int = 0  # the document paragraph it comes from: the pieces of a long paragraph share it


class UnitKind(StrEnum):
    """What a stored unit is; its value is what the store keeps."""

    PASSAGE = "passage"
    SENTENCE = "sentence"
    TRANSLATION = "translation"
    QUESTION = "question"
    GAP = "gap"  # a question the guidance does not answer (advisor/gaps.py): it belongs to no passage


@dataclass(frozen=True)
class PassagePlace:
    """What a passage unit carries: where its text sits in its document (a Passage is rebuilt from it)."""

    document: str
    heading: str
    position: int
    paragraph: int
    sentences: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SentenceSpan:
    """What a sentence unit carries: where the sentence sits in its passage's text."""

    start: int
    end: int


@dataclass(frozen=True)
class TranslationNote:
    """What a translation unit carries: the translation's own note (unofficial, which text governs)."""

    note: str = ""


UnitMetadata = PassagePlace | SentenceSpan | TranslationNote | Gap | None  # by kind; a question carries nothing


@dataclass(frozen=True)
class Unit:
    """One searchable text: a passage, one of its sentences, its translation, or a question attached to it."""

    id: str
    passage_id: str
    kind: UnitKind
    language: str
    text: str
    metadata: UnitMetadata = field(default=None, compare=False)

    def to_row(self) -> dict[str, str | int]:
        """The flat metadata a store keeps beside the unit's text (values are strings and numbers only)."""
        row: dict[str, str | int] = {"passage_id": self.passage_id, "kind": UnitKind(self.kind).value, "language": self.language}
        match self.metadata:
            case PassagePlace() as place:
                row |= {"document": place.document, "heading": place.heading, "position": place.position,
                        "paragraph": place.paragraph, "sentences": json.dumps([list(s) for s in place.sentences])}
            case SentenceSpan(start, end):
                row |= {"start": start, "end": end}
            case TranslationNote(note):
                row |= {"note": note}
            case Gap() as gap:
                row |= gap.to_row()
        return row

    @classmethod
    def from_row(cls, uid: str, text: str, row: Mapping) -> Unit:
        """The unit a store's row describes (`to_row`); versions written before `paragraph` existed had one passage
        a paragraph."""
        kind = UnitKind(row["kind"])
        metadata: UnitMetadata = None
        if kind is UnitKind.PASSAGE:
            spans = tuple((int(s[0]), int(s[1])) for s in json.loads(row["sentences"]))
            metadata = PassagePlace(row["document"], row.get("heading", ""), int(row["position"]),
                                    int(row.get("paragraph", row["position"])), spans)
        elif kind is UnitKind.SENTENCE:
            metadata = SentenceSpan(int(row["start"]), int(row["end"]))
        elif kind is UnitKind.TRANSLATION:
            metadata = TranslationNote(row.get("note", ""))
        elif kind is UnitKind.GAP:
            metadata = Gap.from_row(row)
        return cls(uid, row["passage_id"], kind, row["language"], text, metadata)
