"""Per-host boilerplate: a block that recurs in many different articles of one host (the
same subscribe line, the same "most read" list) is that host's boilerplate, where it stands
outside the flow of the article's text.

Recurring is not enough: a host's articles share their structure too ("Pros", "Cons",
"Verdict", the headings of a fixed template, lines of code). So a recurring line goes only
where the site speaks: before the article's first line of its own or after its last (the
byline, share and newsletter lines, the "more from us" list around an article), or, within
the text, when it is a sentence (a disclaimer, a call to subscribe). A short recurring line
between the article's own lines (a heading over its section, a code line) is structure and
stays.

Pure helpers; the counts live in the store (`storage.site_boilerplate`), so the outcome does
not depend on the order articles arrive in: whenever a block reaches the threshold it is
stripped from every article of the host that has it, earlier ones included.
"""

from __future__ import annotations

import hashlib

from selectolax.lexbor import LexborHTMLParser

from ingest.text import last_mark, normalise
from ingest.types import RemovalReason

SITE_BOILERPLATE = RemovalReason.SITE_BOILERPLATE
BLOCK_SELECTOR = "p, li, h1, h2, h3, h4, h5, h6, blockquote, pre, td, dd, dt"
SENTENCE_WORDS = 5  # a recurring line this long that ends as a sentence does is the site's
_STATEMENT_END = frozenset(".!?。！？…")


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


def site_lines(lines: list[str], keys: set[str]) -> set[int]:
    """Positions of the lines among `lines` that are the host's boilerplate: recurring
    (their key in `keys`) and outside the flow of the text (see the module's docstring)."""
    recurring = [block_key(line) in keys for line in lines]
    own = [n for n, found in enumerate(recurring) if not found]
    first, last = (own[0], own[-1]) if own else (len(lines), -1)
    return {
        n
        for n, found in enumerate(recurring)
        if found and (n < first or n > last or _sentence(_bare(lines[n])))
    }


def _sentence(line: str) -> bool:
    """Ends as a statement does (not as a code line or a label: ";", ":", "{")."""
    return last_mark(line) in _STATEMENT_END and len(line.split()) >= SENTENCE_WORDS


def strip_blocks(text: str, html: str, keys: set[str]) -> tuple[str, str, list[str]]:
    """The article's text and HTML without the host's boilerplate among the blocks whose
    key is in `keys` (`site_lines`), and the texts of the blocks removed."""
    chunks = [chunk.split("\n") for chunk in text.split("\n\n")]
    lines = [line for chunk in chunks for line in chunk if line.strip()]
    going = site_lines(lines, keys)
    if not going:
        return text, html, []
    removed = [_bare(lines[n]) for n in sorted(going)]
    gone = {block_key(line) for line in removed}
    kept_chunks, n = [], 0
    for chunk in chunks:
        kept = []
        for line in chunk:
            if line.strip():
                n += 1
                if n - 1 in going:
                    continue
            kept.append(line)
        if any(line.strip() for line in kept):
            kept_chunks.append("\n".join(kept))
    tree = LexborHTMLParser(html)
    for node in tree.css(BLOCK_SELECTOR):
        key = block_key(" ".join(node.text(deep=True).split()))
        if key in gone and node.parent is not None:
            node.remove()
    body = tree.body
    return "\n\n".join(kept_chunks), (body.inner_html if body is not None else "") or "", removed
