"""One root for every error the worker reports: `IngestError`, a subclass per stage.

Each carries a `kind` (the short word the fetch log and `ingest stats` keep), the URL it
concerns when there is one, and a description of its cause. They pickle with all three, so
an error raised in an extraction or writer process reaches the main process whole:

    IngestError
    ├── ConfigError      a setting or config file is wrong         kind "config"
    ├── FetchError       a request failed (see `ingest.http.fetch`) kind "timeout", "network", ...
    ├── FeedParseError   a document could not be read as a feed     kind "parse"
    ├── ExtractError     a page could not be extracted              kind "extract-crash", ...
    └── StoreError       the store refused or could not be reached  kind "store"
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """The closed vocabulary of `fetches.error_kind` and of the errors' `kind`."""

    ERROR = "error"
    CONFIG = "config"
    TIMEOUT = "timeout"
    QUEUE_TIMEOUT = "queue-timeout"
    NETWORK = "network"
    BLOCKED = "blocked"
    TOO_LARGE = "too-large"
    DECODE = "decode"
    REDIRECT = "redirect"
    ROBOTS = "robots"
    HTTP = "http"
    PARSE = "parse"
    EXTRACT = "extract"
    EXTRACT_CRASH = "extract-crash"
    EXTRACT_TIMEOUT = "extract-timeout"
    STORE = "store"


def describe(exc: BaseException) -> str:
    """`Type: message`, the way an unexpected error is reported in one line."""
    return f"{type(exc).__name__}: {exc}"


def _restore(cls: type[IngestError], state: dict[str, Any]) -> IngestError:
    error = cls.__new__(cls)
    Exception.__init__(error, state["message"])
    error.__dict__.update(state)
    return error


class IngestError(Exception):
    kind: ErrorKind = ErrorKind.ERROR

    def __init__(self, message: str, url: str | None = None, kind: ErrorKind | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url
        if kind is not None:
            self.kind = kind
        self._cause: str | None = None

    @property
    def cause(self) -> str | None:
        """The error this one was raised from, described (it survives pickling)."""
        if self._cause is None and self.__cause__ is not None:
            self._cause = describe(self.__cause__)
        return self._cause

    def __reduce__(self) -> tuple[Any, ...]:
        state = {"message": self.message, "url": self.url, "kind": self.kind}
        state["_cause"] = self.cause
        return (_restore, (type(self), state))


class ConfigError(IngestError, ValueError):
    """A setting has a value that cannot be used; the message names the setting."""

    kind = ErrorKind.CONFIG


class FetchError(IngestError):
    """A request that did not give a response; HTTP error statuses are responses."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message, url=url)


class FeedParseError(IngestError, ValueError):
    """The document could not be read as a feed."""

    kind = ErrorKind.PARSE


class ExtractError(IngestError):
    """A page that hung or crashed the extractor, or that it failed on."""

    kind = ErrorKind.EXTRACT


class StoreError(IngestError):
    """The store refused a write or could not be reached."""

    kind = ErrorKind.STORE


class StoreConflict(StoreError):
    """A write met a unique constraint: another worker wrote the same thing first."""
