"""LangChain's fake chat models with the few behaviours the summary tests and bench/summary_bench.py need."""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult


class ScriptedChatModel(GenericFakeChatModel):
    """Replies with `write(messages)` (which may also sleep or fail), or with the same text every time; records what it was sent."""

    write: Callable[[list[BaseMessage]], str] | None = None
    received: list[list[BaseMessage]] = []

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.received.append(messages)
        if self.write is not None:
            self.messages = iter([AIMessage(content=self.write(messages))])
        return super()._generate(messages, stop, run_manager, **kwargs)


def replying(text: str) -> ScriptedChatModel:
    return ScriptedChatModel(messages=itertools.repeat(text), received=[])


def writing(write: Callable[[list[BaseMessage]], str]) -> ScriptedChatModel:
    return ScriptedChatModel(messages=iter(()), write=write, received=[])


# Writers: what a model replies, read from the messages the advisor sends it (advisor/summary.py's format).
_PROSE = {"English": ("The guidance answers this [1].", "It says", "“", "”"),
          "French": ("Les textes répondent à cette question [1].", "Ils disent", "« ", " »"),
          "Dutch": ("De richtlijnen beantwoorden deze vraag [1].", "Ze zeggen", "„", "”")}


def _first_passage(sent: list[BaseMessage]) -> tuple[str, str]:
    """The language asked for, and the words of passage 1 the asker reads in it (the translation, if there is one)."""
    language = re.search(r"Write in (\w+)", str(sent[0].content))
    block = re.search(r"<<<PASSAGE 1 (\w+)>>>\n(.*?)\n<<<END PASSAGE 1 \1>>>", str(sent[1].content), re.DOTALL)
    assert language and block, "the advisor names the language and sends the passages between markers"
    lines = block.group(2).split("\n")[1:]  # after the source line
    translated = [line.split(": ", 1)[1] for line in lines if line.startswith("Unofficial translation")]
    return language.group(1), (translated or lines)[0]


def honest(sent: list[BaseMessage]) -> str:
    """Paraphrases, then quotes nine words of passage 1 as the asker reads them, and cites it: every check passes."""
    language, words = _first_passage(sent)
    prose, says, opening, closing = _PROSE[language]
    return f"{prose} {says}: {opening}{' '.join(words.split()[:9])}{closing} [1]."


def inventing(sent: list[BaseMessage]) -> str:
    """The honest reply with one quoted word changed: the slip a checker must catch."""
    language, words = _first_passage(sent)
    prose, says, opening, closing = _PROSE[language]
    quoted = words.split()[:9]
    quoted[len(quoted) // 2] = {"English": "never", "French": "jamais", "Dutch": "nooit"}[language]
    return f"{prose} {says}: {opening}{' '.join(quoted)}{closing} [1]."
