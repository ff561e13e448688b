"""Conversations: each one's earlier turns, so that a follow-up is read with the question it leans on.

One store serves every door (web, Telegram, the terminal); a door names its conversations by a key of its own.
Conversations expire when idle and are capped in turns and in number (the least recently used goes first).
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .answer import Advisor, Answer
from .settings import Settings


@dataclass(frozen=True)
class Turn:
    question: str  # as asked
    topic: str  # the self-contained question it was read as: itself, the one it pointed back at, or its own
    # subject with what it borrowed from the one before ("And what about PhD students? Russia")
    document: str = ""  # the document its answer was quoted from first ("" when none): where a follow-up looks


@dataclass
class _Conversation:
    turns: tuple[Turn, ...]
    used: float


class Conversations:
    """The earlier turns of each conversation, in memory, bounded in time, turns and count; safe across threads."""

    def __init__(self, idle_seconds: float, max_turns: int, max_conversations: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if idle_seconds <= 0 or max_turns < 1 or max_conversations < 1:
            raise ValueError(f"conversation limits must be positive, got idle_seconds={idle_seconds}, "
                             f"max_turns={max_turns}, max_conversations={max_conversations}")
        self.idle_seconds, self.max_turns, self.max_conversations = idle_seconds, max_turns, max_conversations
        self._clock = clock
        self._lock = threading.Lock()
        self._open: OrderedDict[str, _Conversation] = OrderedDict()  # least recently used first

    @classmethod
    def from_settings(cls, settings: Settings, clock: Callable[[], float] = time.monotonic) -> Conversations:
        return cls(settings.conversation_idle_minutes * 60, settings.conversation_max_turns, settings.max_conversations,
                   clock)

    def start(self) -> str:
        """A new conversation's id: unguessable, URL-safe. Nothing is kept until a turn is added, so requests
        without a conversation cannot push out other people's."""
        return secrets.token_urlsafe(16)

    def is_open(self, key: str) -> bool:
        """Whether `key` names a conversation that has not expired or been evicted."""
        with self._lock:
            return self._live(key) is not None

    def turns(self, key: str) -> tuple[Turn, ...]:
        with self._lock:
            conversation = self._live(key)
            return conversation.turns if conversation else ()

    def add(self, key: str, turn: Turn) -> None:
        with self._lock:
            conversation = self._live(key)
            self._put(key, ((conversation.turns if conversation else ()) + (turn,))[-self.max_turns:])

    def touch(self, key: str) -> None:
        """Keep a conversation alive without a turn (small talk)."""
        with self._lock:
            conversation = self._live(key)
            self._put(key, conversation.turns if conversation else ())

    def forget(self, key: str) -> None:
        with self._lock:
            self._open.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._open)

    def _live(self, key: str) -> _Conversation | None:
        self._expire()
        return self._open.get(key)

    def _put(self, key: str, turns: tuple[Turn, ...]) -> None:
        self._open[key] = _Conversation(turns, self._clock())
        self._open.move_to_end(key)
        while len(self._open) > self.max_conversations:
            self._open.popitem(last=False)

    def _expire(self) -> None:
        oldest_kept = self._clock() - self.idle_seconds
        while self._open and next(iter(self._open.values())).used < oldest_kept:
            self._open.popitem(last=False)


def ask_in(advisor: Advisor, conversations: Conversations, key: str, question: str, language: str | None = None,
           replying_to: str | None = None) -> tuple[Answer, str]:
    """Answer `question` as a turn of conversation `key`, reading a follow-up with the topic it leans on.

    Args:
        replying_to: the topic of the earlier message the asker replied to; it replaces the last turn as context.
        The rest as in `Advisor.ask`.
    Returns:
        The answer, and the topic of this turn: what a later reply to it leans on.
    """
    turns = conversations.turns(key)
    replying_to = replying_to[: advisor.settings.max_question_chars] if replying_to else None  # a long reply's text
    previous = replying_to or (turns[-1].topic if turns else None)
    document = turns[-1].document if turns and not replying_to else None
    answer = advisor.ask(question, language, previous, previous_document=document or None)
    topic = answer.read_as or answer.question
    if answer.small_talk:  # "Thanks!" is no topic: the next follow-up still leans on the question before
        conversations.touch(key)
    else:
        # a follow-up declined keeps leaning on the earlier question, and so on the document its answer came from
        quoted = answer.quotes[0].document if answer.quotes else (document or "") if topic == previous else ""
        conversations.add(key, Turn(answer.question, topic, quoted))
    return answer, topic
