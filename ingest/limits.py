"""What one file may cost to read: every bound a reader checks, from the settings of the same names."""
from __future__ import annotations

from dataclasses import dataclass, fields

from advisor.settings import Settings, default


@dataclass(frozen=True)
class Limits:
    """The settings of these names; left out, their defaults."""

    max_field_chars: int = default("max_field_chars")
    max_document_chars: int = default("max_document_chars")
    max_passages_per_document: int = default("max_passages_per_document")
    pdf_max_pages: int = default("pdf_max_pages")
    docx_max_entries: int = default("docx_max_entries")
    docx_max_unpacked_mb: int = default("docx_max_unpacked_mb")
    docx_max_ratio: int = default("docx_max_ratio")

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


DEFAULT_LIMITS = Limits()
