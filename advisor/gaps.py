"""Known gaps: questions the guidance is known not to answer, by topic, each topic with whom to ask instead.

They come from `knowledge/gaps.md` (docs/knowledge-format.md), written by hand or by the review loop's "Not covered".
A question nearer to a known gap than to anything the guidance answers is declined with the topic and whom to ask
(`is_known_gap`, fitted by bench/fit_gaps.py), instead of quoting a near miss.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .documents import LANGUAGES
from .errors import DocumentError
from .strings import t

GAPS_FILE = "gaps.md"  # in the knowledge folder
REVIEWED_TOPIC = t("en", "reviewed_topic")  # where the review puts a not-covered question (named in every language)
_TOPIC = re.compile(r"^##\s+(?P<topic>\S.*?)\s*$")
_ASK = re.compile(r"^Ask(?:\s*\[(?P<language>[^\]]*)\])?\s*:\s*(?P<who>.*?)\s*$", re.IGNORECASE)
_NAME = re.compile(r"^Topic\s*\[(?P<language>[^\]]*)\]\s*:\s*(?P<name>.*?)\s*$", re.IGNORECASE)
_QUESTION = re.compile(r"^[-*]\s+\[(?P<language>[^\]]*)\]\s*(?P<question>.*?)\s*$")
_COMMENT = re.compile(r"^<!--.*-->$")


@dataclass(frozen=True)
class Gap:
    """A topic the guidance does not cover, and whom to ask about it (`ask`, or its wording for one language).

    `topic` is the heading's name (the topic's key); `topic_fr` and `topic_nl` are how a French or Dutch asker reads it."""

    topic: str
    ask: str
    ask_fr: str = ""
    ask_nl: str = ""
    topic_fr: str = ""
    topic_nl: str = ""

    def ask_for(self, language: str) -> str:
        return {"fr": self.ask_fr, "nl": self.ask_nl}.get(language, "") or self.ask

    def topic_for(self, language: str) -> str:
        return {"fr": self.topic_fr, "nl": self.topic_nl}.get(language, "") or self.topic

    def to_row(self) -> dict[str, str]:
        return {"topic": self.topic, "ask": self.ask, "ask_fr": self.ask_fr, "ask_nl": self.ask_nl,
                "topic_fr": self.topic_fr, "topic_nl": self.topic_nl}

    @classmethod
    def from_row(cls, row: Mapping) -> Gap:  # a version published before topics had translations reads as English
        return cls(str(row["topic"]), str(row["ask"]), str(row.get("ask_fr", "")), str(row.get("ask_nl", "")),
                   str(row.get("topic_fr", "")), str(row.get("topic_nl", "")))


@dataclass(frozen=True)
class GapQuestion:
    """One question a researcher asked (or would ask) that the guidance does not answer."""

    gap: Gap
    language: str
    text: str


@dataclass(frozen=True)
class GapMatch:
    """The known gap nearest to a question, and how near it and the guidance are (0..1 similarities)."""

    question: GapQuestion
    similarity: float
    guidance: float  # the best similarity of any unit of the guidance (passage, sentence, translation, attached question)


def parse_gaps(name: str, text: str) -> list[GapQuestion]:
    """The questions of a gaps file, in order; a line that is none of the format's is refused by its number.

    Raises:
        DocumentError: naming the file, the line and what was expected there.
    """
    parser = _Parser(name)
    for number, raw in enumerate(text.splitlines(), start=1):
        parser.line(number, raw.strip())
    parser.close()
    return parser.questions


class _Parser:
    """Reads a gaps file a line at a time: the header, then each topic's heading, its 'Topic [fr|nl]:' names,
    'Ask:' lines and questions."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.questions: list[GapQuestion] = []
        self.topics: dict[str, int] = {}  # folded topic -> the line of its heading
        self.topic, self.heading_line = "", 0
        self.asks: dict[str, str] = {}  # "" for the default, else the language
        self.names: dict[str, str] = {}  # language -> the topic's name in it
        self.named: dict[tuple[str, str], int] = {}  # (language, folded name) -> the line that gave it
        self.pending: list[tuple[str, str]] = []

    def refuse(self, number: int, why: str) -> DocumentError:
        return DocumentError(self.name, f"line {number}: {why}")

    def line(self, number: int, line: str) -> None:
        if not line or _COMMENT.match(line):
            return
        if heading := _TOPIC.match(line):
            self.close()
            self.start(number, heading["topic"])
        elif not self.topic:  # the header: a title and a paragraph saying what the file is
            if _ASK.match(line) or _NAME.match(line) or _QUESTION.match(line):
                raise self.refuse(number, f"{line[:80]!r} comes before any '## <topic>' heading")
            if line.startswith("#") and not line.startswith("# "):
                raise self.refuse(number, f"{line[:80]!r}: a topic is written '## <topic>'")
        elif ask := _ASK.match(line):
            self.ask(number, (ask["language"] or "").strip().lower(), ask["who"])
        elif name := _NAME.match(line):
            self.name_in(number, name["language"].strip().lower(), name["name"])
        elif question := _QUESTION.match(line):
            self.question(number, question["language"].strip().lower(), question["question"])
        else:
            raise self.refuse(number, "expected 'Ask: <who>', 'Topic [fr|nl]: <name>', '- [en|fr|nl] <question>' "
                                      f"or '## <topic>', got {line[:80]!r}")

    def start(self, number: int, topic: str) -> None:
        if topic.casefold() in self.topics:
            raise self.refuse(number, f"topic {topic!r} was already given on line {self.topics[topic.casefold()]}")
        self.topics[topic.casefold()] = number
        self.topic, self.heading_line, self.asks, self.names, self.pending = topic, number, {}, {}, []

    def name_in(self, number: int, language: str, name: str) -> None:
        if language not in ("fr", "nl"):
            raise self.refuse(number, f"unknown language {language!r} in 'Topic [..]:' (the heading names the topic; "
                                      "'Topic [fr]:' or 'Topic [nl]:' give its name in French or Dutch)")
        if not name:
            raise self.refuse(number, f"'Topic [{language}]:' gives no name")
        if language in self.names:
            raise self.refuse(number, f"topic {self.topic!r} already has a 'Topic [{language}]:' line")
        if (language, name.casefold()) in self.named:
            raise self.refuse(number, f"the [{language}] name {name!r} was already given on line "
                                      f"{self.named[(language, name.casefold())]}: one name, one topic")
        self.named[(language, name.casefold())] = number
        self.names[language] = name

    def ask(self, number: int, language: str, who: str) -> None:
        if language and language not in ("fr", "nl"):
            raise self.refuse(number, f"unknown language {language!r} in 'Ask [..]:' (use 'Ask:' for everyone, "
                                      "'Ask [fr]:' or 'Ask [nl]:' for one language)")
        if not who:
            raise self.refuse(number, "'Ask:' names nobody")
        if language in self.asks:
            raise self.refuse(number, f"topic {self.topic!r} already has an 'Ask{f' [{language}]' if language else ''}:' line")
        self.asks[language] = who

    def question(self, number: int, language: str, question: str) -> None:
        if language not in LANGUAGES:
            raise self.refuse(number, f"unknown language {language!r} (use one of: {', '.join(LANGUAGES)})")
        if not question:
            raise self.refuse(number, f"the [{language}] entry holds no question")
        self.pending.append((language, question))

    def close(self) -> None:
        """The topic read so far joins the questions, once it is whole."""
        if not self.topic:
            return
        if "" not in self.asks:
            raise self.refuse(self.heading_line, f"topic {self.topic!r} has no 'Ask: <who can answer it>' line")
        if not self.pending:
            raise self.refuse(self.heading_line, f"topic {self.topic!r} has no question ('- [en] …')")
        gap = Gap(self.topic, self.asks[""], self.asks.get("fr", ""), self.asks.get("nl", ""),
                  self.names.get("fr", ""), self.names.get("nl", ""))
        self.questions.extend(GapQuestion(gap, language, question) for language, question in self.pending)


def is_known_gap(match: GapMatch | None, floor: float, margin: float) -> bool:
    """Whether a question is one of the known gaps: near enough to a gap question (`floor`), and nearer to it than to
    anything the guidance says by at least `margin` (both on the same models' 0..1 scale)."""
    return match is not None and match.similarity >= floor and match.similarity - match.guidance >= margin
