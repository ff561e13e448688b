"""LangChain's fake chat models, with the few behaviours the summary tests need: a script, a recording, a delay."""
from __future__ import annotations

import itertools
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
