"""What a door (web, Telegram) needs from the running advisor: a Protocol, so doors never import the composition."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from advisor.answer import Advisor
from advisor.conversation import Conversations
from advisor.journal import Journal
from advisor.review import ReviewQueue
from advisor.settings import Settings
from advisor.store import VersionInfo
from ingest.service import KnowledgeAdmin

VersionListener = Callable[[VersionInfo | None, VersionInfo], Awaitable[None]]


class Services(Protocol):
    settings: Settings
    advisor: Advisor  # answers questions from the serving version
    conversations: Conversations  # the earlier turns of every door's conversations
    journal: Journal  # questions, feedback and subscribers
    review: ReviewQueue  # questions waiting for an admin's decision
    admin: KnowledgeAdmin  # re-ingestion, uploads and rollbacks
    ready: bool  # the serving version is loaded and the model warm
    version_listeners: list[VersionListener]  # told when another version starts serving
