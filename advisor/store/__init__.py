"""The vector store: versions of the knowledge, each a Chroma collection of units and their vectors."""
from __future__ import annotations

from ..settings import Settings
from . import history
from .audit import now_iso, who
from .manifest import VersionInfo
from .protocol import Store
from .server import ServerStore
from .snapshot import Snapshot
from .versions import KnowledgeStore


def open_store(settings: Settings) -> Store:
    """The configured store: a Chroma server when ADVISOR_CHROMA_URL is set, else the local directory."""
    if settings.chroma_url:
        return ServerStore(settings.chroma_url, token=settings.chroma_token, prefix=settings.chroma_prefix,
                           lease_seconds=settings.chroma_lease_seconds, timeout=settings.chroma_timeout)
    return KnowledgeStore(settings.store_dir)


__all__ = ["KnowledgeStore", "history", "ServerStore", "Snapshot", "Store", "VersionInfo", "now_iso", "open_store", "who"]
