"""Documents cut into passages, and the searchable units (passage, sentence, translation, question) stored for each."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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


@dataclass(frozen=True)
class Unit:
    """One searchable text: a passage, one of its sentences, its translation, or a question attached to it."""

    id: str
    passage_id: str
    kind: UnitKind
    language: str
    text: str
    metadata: dict = field(default_factory=dict, compare=False)
