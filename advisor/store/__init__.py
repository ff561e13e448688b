"""The vector store: versions of the knowledge, each a Chroma collection of units and their vectors."""
from .audit import now_iso, who
from .manifest import VersionInfo
from .snapshot import Snapshot
from .versions import KnowledgeStore

__all__ = ["KnowledgeStore", "Snapshot", "VersionInfo", "now_iso", "who"]
