"""Bounded Content-Encoding decoding."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from ingest.http.decode import BodyTooLargeError, BoundedDecoder, ContentDecodeError

TEXT = b"<rss>" + b"hello world " * 5000 + b"</rss>"


def decode_all(body: bytes, encoding: str | None, limit: int, chunk: int = 1000) -> bytes:
    decoder = BoundedDecoder(encoding, limit)
    return b"".join(decoder.feed(body[i : i + chunk]) for i in range(0, len(body), chunk))


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        (None, lambda b: b),
        ("identity", lambda b: b),
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
)
def test_round_trip(encoding: str | None, encode: object) -> None:
    assert decode_all(encode(TEXT), encoding, len(TEXT)) == TEXT  # type: ignore[operator]


def test_concatenated_gzip_members() -> None:
    assert decode_all(gzip.compress(b"a" * 10) + gzip.compress(b"b" * 10), "gzip", 100) == (
        b"a" * 10 + b"b" * 10
    )


@pytest.mark.parametrize(
    ("encoding", "encode"), [("gzip", gzip.compress), ("br", brotli.compress), (None, bytes)]
)
def test_one_byte_over_the_limit_is_refused(encoding: str | None, encode: object) -> None:
    body = encode(TEXT)  # type: ignore[operator]
    with pytest.raises(BodyTooLargeError):
        decode_all(body, encoding, len(TEXT) - 1)
    assert decode_all(body, encoding, len(TEXT)) == TEXT


def test_a_single_chunk_never_expands_past_the_limit() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024), 9)
    decoder = BoundedDecoder("gzip", 1024 * 1024)
    with pytest.raises(BodyTooLargeError):
        decoder.feed(bomb)  # the whole bomb in one chunk


def test_corrupt_and_unknown_encodings() -> None:
    with pytest.raises(ContentDecodeError):
        decode_all(b"definitely not gzip", "gzip", 1000)
    with pytest.raises(ContentDecodeError):
        decode_all(b"definitely not brotli", "br", 1000)
    with pytest.raises(ContentDecodeError, match="unsupported"):
        BoundedDecoder("zstd-ish", 10)
