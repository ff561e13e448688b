"""Errors whose messages are safe to show a user; each carries the HTTP status a web door answers it with."""


class AdvisorError(Exception):
    """Base class: the message says what went wrong in plain words."""

    http_status = 409  # the request was understood but cannot be done now
    retry_after_seconds: int | None = None  # when asking again later is likely to work


class QuestionError(AdvisorError):
    """The question cannot be answered as asked (empty, too long)."""

    http_status = 400


class KnowledgeNotReady(AdvisorError):
    """No knowledge version has been published yet."""

    http_status = 503


class StoreError(AdvisorError):
    """The knowledge store cannot be read or written."""

    http_status = 503


class IngestBusy(AdvisorError):
    """Another ingestion holds the store's lock."""

    retry_after_seconds = 30


class DocumentError(AdvisorError):
    """One file could not be read; the message names the file and the reason."""

    http_status = 422

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class DocumentExists(DocumentError):
    """An upload would replace a document without being asked to."""

    http_status = 409


class StorageFull(AdvisorError):
    """The disk under the store is full: the ingestion stopped, the serving version is untouched."""

    http_status = 507


class ModelUnavailable(AdvisorError):
    """The embedding model cannot be loaded."""


class ReviewError(AdvisorError):
    """A review decision cannot be taken as asked; the message names the entry or passage."""


class EntryGone(ReviewError):
    """The review entry does not exist (any more)."""


class AlreadyDecided(ReviewError):
    """Another decision was taken on the entry first."""


class UnknownPassage(ReviewError):
    """The passage is not in the serving knowledge version."""
