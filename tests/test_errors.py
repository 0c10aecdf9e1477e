"""The one error root: every error the worker reports is an `IngestError` with a kind, and
it crosses a process boundary whole."""

from __future__ import annotations

import pickle

import pytest

from ingest.errors import (
    ConfigError,
    ErrorKind,
    ExtractError,
    FeedParseError,
    FetchError,
    IngestError,
    StoreConflict,
    StoreError,
)
from ingest.feeds.opml import OpmlError
from ingest.feeds.parse import NotAFeedError
from ingest.http import fetch
from storage.schema import SchemaMismatch
from storage.store import DaemonAlreadyRunningError


def raised_from(error: IngestError, cause: Exception) -> IngestError:
    try:
        raise error from cause
    except IngestError as caught:
        return caught


@pytest.mark.parametrize(
    "error",
    [
        fetch.TimeoutFetchError("https://a.example/f", "no complete response within 30s"),
        ExtractError("extraction took longer than 2s", kind=ErrorKind.EXTRACT_TIMEOUT),
        ExtractError("ValueError: bad", url="https://a.example/p"),
        StoreConflict("IntegrityError: UNIQUE constraint failed"),
        FeedParseError("not a readable feed", "https://a.example/f"),
        ConfigError("request_timeout must be a number"),
    ],
)
def test_an_error_pickles_with_its_kind_url_and_cause(error: IngestError) -> None:
    error = raised_from(error, KeyError("inner"))
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert (str(again), again.kind, again.url) == (str(error), error.kind, error.url)
    assert again.cause == "KeyError: 'inner'"


def test_every_stage_error_is_an_ingest_error_with_its_own_kind() -> None:
    kinds = {
        FetchError: ErrorKind.ERROR,
        fetch.TimeoutFetchError: ErrorKind.TIMEOUT,
        fetch.NetworkFetchError: ErrorKind.NETWORK,
        fetch.BlockedFetchError: ErrorKind.BLOCKED,
        fetch.TooLargeFetchError: ErrorKind.TOO_LARGE,
        fetch.DecodeFetchError: ErrorKind.DECODE,
        fetch.RedirectFetchError: ErrorKind.REDIRECT,
        fetch.RobotsFetchError: ErrorKind.ROBOTS,
        FeedParseError: ErrorKind.PARSE,
        NotAFeedError: ErrorKind.PARSE,
        OpmlError: ErrorKind.PARSE,
        ExtractError: ErrorKind.EXTRACT,
        StoreError: ErrorKind.STORE,
        StoreConflict: ErrorKind.STORE,
        SchemaMismatch: ErrorKind.STORE,
        DaemonAlreadyRunningError: ErrorKind.STORE,
        ConfigError: ErrorKind.CONFIG,
    }
    for cls, kind in kinds.items():
        assert issubclass(cls, IngestError), cls
        assert cls.kind is kind, cls


def test_a_kind_given_on_raising_overrides_the_class_kind() -> None:
    error = ExtractError("the extractor process crashed", kind=ErrorKind.EXTRACT_CRASH)
    assert (error.kind, ExtractError.kind) == (ErrorKind.EXTRACT_CRASH, ErrorKind.EXTRACT)
