"""What one file may cost to read: every bound a reader checks, from the settings of the same names.

Only `Limits.of` and `default_limits` read the settings (and so load pydantic): the sandbox's child process, which
gets its limits from its parent, starts without them."""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.settings import Settings


@dataclass(frozen=True)
class Limits:
    """The settings of these names."""

    max_field_chars: int
    max_document_chars: int
    max_passages_per_document: int
    pdf_max_pages: int
    docx_max_entries: int
    docx_max_unpacked_mb: int
    docx_max_ratio: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


@lru_cache(maxsize=1)
def default_limits() -> Limits:
    """The settings' defaults (no environment read), for a caller that gives no limits."""
    from advisor.settings import default

    return Limits(**{f.name: default(f.name) for f in fields(Limits)})
