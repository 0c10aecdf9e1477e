"""Per-host boilerplate: a block that recurs in many different articles of one host (the
same subscribe line, the same "most read" list) is that host's boilerplate.

Pure helpers; the counts live in the store (`storage.site_boilerplate`), so the outcome does
not depend on the order articles arrive in: whenever a block reaches the threshold it is
stripped from every article of the host that has it, earlier ones included.
"""

from __future__ import annotations

import hashlib

from selectolax.lexbor import LexborHTMLParser

from ingest.text import normalise
from ingest.types import RemovalReason

SITE_BOILERPLATE = RemovalReason.SITE_BOILERPLATE
BLOCK_SELECTOR = "p, li, h1, h2, h3, h4, h5, h6, blockquote, pre, td, dd, dt"


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def _bare(line: str) -> str:
    return line[2:] if line.startswith("- ") else line


def _key(words: str) -> str:
    return hashlib.sha1(words.encode("utf-8")).hexdigest()[:16]


def block_key(line: str) -> str | None:
    words = normalise(_bare(line))
    return _key(words) if words else None


def normalised_blocks(text: str) -> list[tuple[str, str]]:
    """Each block (line) of an article's clean text, without its list marker, with its
    normalised words: computed once for both the block keys and the dedup fingerprint."""
    return [(bare, normalise(bare)) for bare in map(_bare, _lines(text))]


def block_keys(blocks: list[tuple[str, str]]) -> dict[str, str]:
    """Key -> the block's text, for each of `normalised_blocks(text)`."""
    keys: dict[str, str] = {}
    for bare, words in blocks:
        if words:
            keys.setdefault(_key(words), bare)
    return keys


def strip_blocks(text: str, html: str, keys: set[str]) -> tuple[str, str, list[str]]:
    """The article's text and HTML without the blocks whose key is in `keys`, and the
    texts of the blocks removed."""
    removed: list[str] = []
    chunks = []
    for chunk in text.split("\n\n"):
        kept = []
        for line in chunk.split("\n"):
            if block_key(line) in keys:
                removed.append(_bare(line))
            else:
                kept.append(line)
        if any(line.strip() for line in kept):
            chunks.append("\n".join(kept))
    if not removed:
        return text, html, []
    tree = LexborHTMLParser(html)
    for node in tree.css(BLOCK_SELECTOR):
        key = block_key(" ".join(node.text(deep=True).split()))
        if key in keys and node.parent is not None:
            node.remove()
    body = tree.body
    return "\n\n".join(chunks), (body.inner_html if body is not None else "") or "", removed
