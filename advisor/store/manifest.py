"""What a knowledge version holds, as written in its manifest.json."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..documents import DocumentMeta


@dataclass(frozen=True)
class VersionInfo:
    """One published or building version of the knowledge."""

    id: str
    created: str
    created_by: str
    model: str
    documents: tuple[DocumentMeta, ...]
    translations: dict[str, str]  # path -> content hash (translations and attached questions)
    passages: int
    synonyms: str = ""
    passage_ids: tuple[str, ...] = ()
    forced: bool = False
    fingerprint: str = ""  # of the input files, model and pipeline: equal means nothing to rebuild
    files: dict[str, str] = field(default_factory=dict)  # the files it was built from: name -> SHA-256 (ingest/sources.py)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["documents"] = [d.to_dict() for d in self.documents]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> VersionInfo:
        docs = tuple(DocumentMeta.from_dict(d) for d in data.get("documents", ()))
        return cls(**(data | {"documents": docs, "passage_ids": tuple(data.get("passage_ids", ()))}))
