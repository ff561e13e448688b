"""What one file may cost to read: every bound a reader checks, from the settings of the same names."""
from __future__ import annotations

from dataclasses import dataclass, fields

from advisor.settings import Settings


@dataclass(frozen=True)
class Limits:
    max_field_chars: int = 2000
    max_document_chars: int = 2_000_000
    max_passages_per_document: int = 2000
    pdf_max_pages: int = 500
    docx_max_entries: int = 2000
    docx_max_unpacked_mb: int = 100
    docx_max_ratio: int = 200

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


DEFAULT_LIMITS = Limits()
