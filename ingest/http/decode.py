"""Content-Encoding decoding with a hard cap on the decoded size.

httpx decompresses each network chunk in full, so a few KiB of gzip or brotli can become
hundreds of MiB in one call. These decoders never produce more than the bytes still allowed
plus one, so memory stays near the cap however the body was compressed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli


class BodyTooLargeError(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"body larger than {limit} bytes once decoded")
        self.limit = limit


class ContentDecodeError(ValueError):
    """The body is not valid for its declared Content-Encoding."""


class _Stage(Protocol):
    def decode(self, data: bytes, room: int) -> Iterator[bytes]: ...


class _Identity:
    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        yield data


class _Zlib:
    """gzip (with concatenated members) and deflate (zlib-wrapped or raw)."""

    def __init__(self, wbits: int) -> None:
        self.wbits = wbits
        self.inflater = zlib.decompressobj(wbits)
        self.started = False

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        while data:
            try:
                out = self.inflater.decompress(data, room + 1)
            except zlib.error as exc:
                if self.wbits == zlib.MAX_WBITS and not self.started:
                    # "deflate" sent as a raw stream without the zlib header: retry as such.
                    self.wbits = -zlib.MAX_WBITS
                    self.inflater = zlib.decompressobj(self.wbits)
                    continue
                raise ContentDecodeError(f"invalid compressed body: {exc}") from exc
            self.started = True
            yield out
            room -= len(out)
            if room < 0:
                return
            if self.inflater.unconsumed_tail:
                data = self.inflater.unconsumed_tail
            elif self.inflater.eof and self.inflater.unused_data:
                data = self.inflater.unused_data
                self.inflater = zlib.decompressobj(self.wbits)
            else:
                data = b""


class _Brotli:
    def __init__(self) -> None:
        self.decoder = brotli.Decompressor()

    def decode(self, data: bytes, room: int) -> Iterator[bytes]:
        try:
            out = self.decoder.process(data, output_buffer_limit=room + 1)
            while True:
                yield out
                room -= len(out)
                if room < 0 or self.decoder.can_accept_more_data():
                    return
                out = self.decoder.process(b"", output_buffer_limit=room + 1)
        except brotli.error as exc:
            raise ContentDecodeError(f"invalid brotli body: {exc}") from exc


def _stage(encoding: str) -> _Stage:
    if encoding in {"gzip", "x-gzip"}:
        return _Zlib(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if encoding == "br":
        return _Brotli()
    if encoding in {"identity", ""}:
        return _Identity()
    raise ContentDecodeError(f"unsupported Content-Encoding {encoding!r}")


class BoundedDecoder:
    """Decodes a body chunk by chunk; raises BodyTooLargeError past `limit` decoded bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        names = [e.strip().lower() for e in (content_encoding or "").split(",") if e.strip()]
        # Encodings are listed in the order they were applied: undo them last first.
        self.stages = [_stage(name) for name in reversed(names)]
        self.limit = limit
        self.size = 0

    def feed(self, chunk: bytes) -> bytes:
        pieces = [chunk]
        for stage in self.stages:
            decoded: list[bytes] = []
            produced = 0
            for piece in pieces:
                for out in stage.decode(piece, self.limit - self.size - produced):
                    produced += len(out)
                    if self.size + produced > self.limit:
                        raise BodyTooLargeError(self.limit)
                    decoded.append(out)
            pieces = decoded
        result = b"".join(pieces)
        self.size += len(result)
        if self.size > self.limit:
            raise BodyTooLargeError(self.limit)
        return result
