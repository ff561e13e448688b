"""Files as their format gives them: blocks of text with heading levels, a title, and metadata the file carries."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from advisor.documents import Block

# The one list of document types every door accepts and ingestion reads.
DOCUMENT_TYPES = (".md", ".txt", ".html", ".htm", ".pdf", ".docx")


@dataclass
class Extracted:
    blocks: list[Block]
    title: str = ""  # the title the file itself gives, if any
    fields: dict = field(default_factory=dict)  # metadata the file carries (HTML meta tags), before its sidecar
    text: str = ""  # all the text the parser extracted: the blocks are its pieces, white space aside


def accepted(name: str) -> bool:
    """Whether a file of this name is a document type every door accepts."""
    return Path(name).suffix.lower() in DOCUMENT_TYPES


def unsupported(name: str) -> str:
    """The one wording of a refused file type, naming the file's own type and those accepted."""
    return f"unsupported file type {Path(name).suffix.lower() or '(none)'!r}; send one of {', '.join(DOCUMENT_TYPES)}"
