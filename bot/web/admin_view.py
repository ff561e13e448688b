"""Which part of the review queue the admin page shows: one page, of the questions asked in one language or all."""
from __future__ import annotations

from dataclasses import dataclass

from advisor.documents import LANGUAGES
from advisor.review import Entry

PAGE_SIZE = 25  # queue entries per page: 117 entries with their candidates were 839 KB of HTML on one page


@dataclass(frozen=True)
class QueueView:
    """Which part of the queue the page shows: one page of the entries asked in one language (or in any)."""

    page: int = 1
    asked: str | None = None  # the language the questions were asked in, or None for all

    @classmethod
    def of(cls, values) -> QueueView:
        """From a query string or a form's hidden fields; anything odd is the first page of every language."""
        raw, asked = str(values.get("page") or "1"), values.get("asked")
        return cls(int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1, asked if asked in LANGUAGES else None)

    def query(self, page: int | None = None, asked: str | None | bool = False) -> str:
        """The address's query for this view, another page of it, or another language (`asked=None`: all)."""
        page, asked = page or self.page, self.asked if asked is False else asked
        parts = ([f"page={page}"] if page > 1 else []) + ([f"asked={asked}"] if asked else [])
        return "?" + "&".join(parts) if parts else ""

    def fields(self) -> dict[str, str]:
        return {"page": str(self.page)} | ({"asked": self.asked} if self.asked else {})

    def of_queue(self, entries: list[Entry]) -> list[Entry]:
        return [e for e in entries if self.asked is None or e.language == self.asked]
