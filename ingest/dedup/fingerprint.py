"""Deduplication decisions: which URL names an article, which texts are the same, which are
near copies. Pure functions; the store keeps what they compute (`storage.dedup`).

- **Same URL**: URLs are compared in canonical form (`ingest.urls.canonical_url`); a page's
  own `rel=canonical`/`og:url` is trusted when it points at the same site.
- **Same text**: the SHA-256 of the normalised clean text (case, spacing and punctuation
  folded) is the article's content hash.
- **Near-same text**: MinHash over 3-word shingles (128 hashes), banded for LSH (32 bands of
  4 rows: texts with Jaccard similarity 0.8 collide in some band with probability > 0.99,
  texts at 0.2 about 5% of the time). A second, smaller signature over the first words (the
  lead) is banded too, so that a teaser finds its full text. Every candidate is verified:
  estimated Jaccard, or containment of the shorter text in the longer. Texts under
  `MIN_NEAR_WORDS` words are matched only exactly.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from ingest.text import normalise
from ingest.urls import canonical_url

SHINGLE_WORDS = 3
NUM_HASHES = 128
BANDS, ROWS = 32, 4
LEAD_WORDS = 60
LEAD_HASHES = 32
LEAD_BANDS = 8  # of 4 rows each
MIN_NEAR_WORDS = 50
JACCARD_MATCH = 0.8
CONTAINMENT_MATCH = 0.9
LEAD_MATCH, LEAD_CONTAINMENT = 0.9, 0.7

_PRIME = np.uint64((1 << 61) - 1)
_RNG = np.random.default_rng(20261128)  # fixed: stored fingerprints must stay comparable
_A = _RNG.integers(1, (1 << 61) - 1, size=NUM_HASHES, dtype=np.uint64)
_B = _RNG.integers(0, (1 << 61) - 1, size=NUM_HASHES, dtype=np.uint64)
_A32 = _A % np.uint64(1 << 32)
_HEADER = struct.Struct("<II")


@dataclass(frozen=True)
class Fingerprint:
    words: int
    shingles: int
    signature: np.ndarray
    """NUM_HASHES minimum hash values of the text's shingles."""
    lead: np.ndarray
    """LEAD_HASHES minimum hash values of the first LEAD_WORDS words' shingles."""

    def to_bytes(self) -> bytes:
        return (
            _HEADER.pack(self.words, self.shingles)
            + self.signature.astype("<u4").tobytes()
            + self.lead.astype("<u4").tobytes()
        )

    @classmethod
    def from_bytes(cls, blob: bytes) -> Fingerprint:
        words, shingles = _HEADER.unpack_from(blob)
        body = np.frombuffer(blob, dtype="<u4", offset=_HEADER.size)
        return cls(words, shingles, body[:NUM_HASHES].copy(), body[NUM_HASHES:].copy())


def content_words(text: str) -> list[str]:
    return normalise(text).split()


def content_hash(words: list[str]) -> str | None:
    """SHA-256 of the normalised text; None for an empty text (nothing to be equal to)."""
    if not words:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def _shingle_hashes(words: list[str]) -> list[int]:
    """CRC-32 of each 3-word shingle, in order (the whole text when it is shorter)."""
    if len(words) < SHINGLE_WORDS:
        grams: Iterable[str] = [" ".join(words)] if words else []
    else:
        grams = map(" ".join, zip(words, words[1:], words[2:], strict=False))
    crc32 = zlib.crc32
    return [crc32(gram.encode("utf-8")) for gram in grams]


def _distinct(hashes: list[int]) -> np.ndarray:
    unique = set(hashes)
    return np.fromiter(unique, dtype=np.uint64, count=len(unique))


_CHUNK = 128  # shingles at a time: 128 x 128 uint64 values (128 KiB) stay in a core's L2


def _minhash(shingles: np.ndarray, count: int) -> np.ndarray:
    if shingles.size == 0:
        return np.full(count, 0xFFFFFFFF, dtype=np.uint32)
    # (a*x + b) mod p over 61-bit arithmetic would overflow uint64 for a*x; x is 32-bit and
    # a < 2^61, so reduce a first: hashes stay universal enough for similarity estimates.
    # Computed a chunk of shingles at a time: the whole matrix (count x shingles) outgrows
    # the CPU's cache, and this was 3-4 times slower with it.
    a, b = _A32[:count, None], _B[:count, None]
    minimum = np.full(count, np.iinfo(np.uint64).max, dtype=np.uint64)
    for start in range(0, shingles.size, _CHUNK):
        values = a * shingles[None, start : start + _CHUNK]
        values += b
        np.minimum(minimum, _mod_prime(values).min(axis=1), out=minimum)
    return (minimum & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _mod_prime(values: np.ndarray) -> np.ndarray:
    """`values % _PRIME`, in place, without numpy's slow uint64 division: p = 2^61 - 1, so
    v = h * 2^61 + l is h + l modulo p, and h + l < 2p."""
    high = values >> np.uint64(61)
    values &= _PRIME
    values += high
    values[values >= _PRIME] -= _PRIME
    return values


def fingerprint(words: list[str]) -> Fingerprint:
    hashes = _shingle_hashes(words)
    shingles = _distinct(hashes)
    # The lead's shingles are the first ones of the text's (all of them for a short text).
    lead = _distinct(hashes[: LEAD_WORDS - SHINGLE_WORDS + 1])
    return Fingerprint(
        words=len(words),
        shingles=int(shingles.size),
        signature=_minhash(shingles, NUM_HASHES),
        lead=_minhash(lead, LEAD_HASHES),
    )


def _band_key(namespace: int, band: int, rows: np.ndarray) -> int:
    digest = hashlib.blake2b(rows.tobytes(), digest_size=8, person=bytes([namespace, band]) * 8)
    return int.from_bytes(digest.digest(), "little", signed=True)


def band_keys(fp: Fingerprint) -> list[int]:
    """The LSH keys under which a fingerprint is indexed (none for very short texts)."""
    if fp.words < MIN_NEAR_WORDS:
        return []
    keys = [_band_key(1, b, fp.signature[b * ROWS : (b + 1) * ROWS]) for b in range(BANDS)]
    keys += [_band_key(2, b, fp.lead[b * ROWS : (b + 1) * ROWS]) for b in range(LEAD_BANDS)]
    return keys


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float
    """Share of the shorter text's shingles found in the longer one (estimated)."""
    lead: float


def similarity(a: Fingerprint, b: Fingerprint) -> Similarity:
    jaccard = float(np.mean(a.signature == b.signature))
    small, large = sorted((a.shingles, b.shingles))
    # |A ∩ B| = J / (1 + J) * (|A| + |B|)
    common = jaccard / (1 + jaccard) * (small + large)
    containment = min(1.0, common / small) if small else 0.0
    return Similarity(jaccard, containment, float(np.mean(a.lead == b.lead)))


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    if min(a.words, b.words) < MIN_NEAR_WORDS:
        return False
    s = similarity(a, b)
    return (
        s.jaccard >= JACCARD_MATCH
        or s.containment >= CONTAINMENT_MATCH
        or (s.lead >= LEAD_MATCH and s.containment >= LEAD_CONTAINMENT)
    )


def _site(host: str) -> str:
    host = host.lower()
    for prefix in ("www.", "m.", "amp.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    return host


def choose_canonical_url(page_url: str, declared: str | None) -> str:
    """The article's canonical URL: the page's declared canonical when it stays on the same
    site (a canonical pointing elsewhere is not trusted), else the page URL; canonical form."""
    page = canonical_url(page_url)
    if declared:
        candidate = canonical_url(declared)
        page_host = _site(urlsplit(page).hostname or "")
        declared_host = _site(urlsplit(candidate).hostname or "")
        if (
            declared_host
            and declared_host == page_host
            and urlsplit(candidate).scheme
            in (
                "http",
                "https",
            )
        ):
            return candidate
    return page
