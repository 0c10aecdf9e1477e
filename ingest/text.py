"""Text helpers every stage shares: the normal form two copies of a text share, whether a
line ends like a sentence, and fast substring tests over many texts."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence

_NON_WORD = re.compile(r"\W+")
# ASCII letters and digits to lower case, the rest to spaces: for ASCII text, what NFKC,
# casefold and \w give, as one bytes.translate.
_ASCII_WORDS = bytes(
    ord(chr(c).lower()) if c < 128 and re.fullmatch(r"\w", chr(c)) else 32 for c in range(256)
)
# Quotes, dashes, ellipsis, no-break space, guillemets, bullets: separators on either path,
# so spaces in their place keep many texts on the ASCII one.
_COMMON_MARKS = "\u2019\u2018\u201c\u201d\u2013\u2014\u2026\xa0\xab\xbb\u2022\xb7"
_SENTENCE_END = frozenset(".!?;:。！？…\"')]»”’")


_CLOSERS = "\"')]»”’"


def ends_sentence(text: str) -> bool:
    """Ends like a sentence (or a quote or parenthesis closing one)."""
    return text.rstrip()[-1:] in _SENTENCE_END


def last_mark(text: str) -> str:
    """The text's last character before any closing quotes and brackets ("" for none): what
    tells how a line ends ("Why? (2025)" ends with "?")."""
    return text.rstrip().rstrip(_CLOSERS)[-1:]


def fewer_words_than(text: str, count: int) -> bool:
    """Whether the text has fewer than `count` words, split no further than that."""
    return len(text.split(maxsplit=count - 1)) < count


def int64_key(name: str) -> int:
    """One signed 64-bit number for a string (a collision would need 2^32 strings)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def normalise(text: str) -> str:
    """The text two copies of one block share: entities, case, quotes, dashes and spacing
    folded, so that they compare equal."""
    if "&" in text:
        text = html.unescape(text)
    # Words only: quotes, dashes and other punctuation fall away with the spacing.
    if not text.isascii():
        for mark in _COMMON_MARKS:  # often the only non-ASCII characters of a text
            if mark in text:
                text = text.replace(mark, " ")
        if not text.isascii():
            text = unicodedata.normalize("NFKC", text).casefold()
            return " ".join(_NON_WORD.split(text)).strip()
    return " ".join(text.encode().translate(_ASCII_WORDS).decode().split())


# UTF-8 read as Windows-1252 (or Latin-1) somewhere upstream: "’" became "â€™" ("â\x80\x99").
# Each character stands for the byte it was read from: a lead byte (Â-ô), then as many
# continuation bytes (0x80-0xBF, as Latin-1 or Windows-1252 characters) as it announces.
_AS_BYTE = {bytes([b]).decode("latin-1"): b for b in range(0x80, 0x100)} | {
    char: b for b in range(0x80, 0xA0) if (char := bytes([b]).decode("cp1252", errors="ignore"))
}
_CONTINUATION = "".join(char for char, b in _AS_BYTE.items() if b < 0xC0)
_MOJIBAKE = re.compile(
    f"[\xc2-\xdf][{_CONTINUATION}]|[\xe0-\xef][{_CONTINUATION}]{{2}}"
    f"|[\xf0-\xf4][{_CONTINUATION}]{{3}}"
)
# The same pair in the text's UTF-8: a lead character (U+00C2-U+00F4), then a continuation
# one (U+0080-U+00BF) or a Windows-1252 symbol ("€", "’", "Œ", "˜" ...). Looked for in bytes,
# where a search skips to each 0xC3 byte: three times faster than a class in the text.
_MOJIBAKE_SIGN = re.compile(
    rb"\xc3[\x82-\xb4](?:\xc2[\x80-\xbf]|\xc5[\x92\x93\xa0\xa1\xb8\xbd\xbe]|\xc6\x92"
    rb"|\xcb[\x86\x9c]|\xe2[\x80-\x84])"
)
_BROKEN_NO_BREAK = re.compile(r"[ÂÃ](?=[ \n]|$)")


def repair_mojibake(text: str) -> str:
    """The text with each run of characters that spells UTF-8 read as Windows-1252 or
    Latin-1 ("Investorâ€™s") put back ("Investor’s"); a run that does not decode as
    UTF-8 stays as it is. Most texts show no such pair, and are returned at once."""
    if text.isascii() or not _MOJIBAKE_SIGN.search(text.encode("utf-8", "surrogatepass")):
        return text
    # Where its spacing was collapsed, "Â\xa0" (a no-break space) and "Ã\xa0" ("à") lost
    # their second character: in a text that shows mojibake, a lone "Â" or "Ã" before a
    # space or at the end is one of them.
    text = _BROKEN_NO_BREAK.sub(lambda m: "" if m.group() == "Â" else "à", text)
    return _MOJIBAKE.sub(_repaired_run, text)


def _repaired_run(match: re.Match[str]) -> str:
    run = match.group()
    try:
        return bytes(_AS_BYTE[char] for char in run).decode("utf-8")
    except UnicodeDecodeError:
        return run


_SEPARATOR = "\n"


def containing_any(texts: Sequence[str], needles: Iterable[str]) -> set[int]:
    """Which of many short texts contain any of a list of needles, found in C: testing each
    text against each needle costs a Python step per pair; joining the texts and running one
    `str.find` per needle over the whole costs one per needle and per hit.

    Indexes of the texts that contain at least one needle (needles hold no newline, so a
    match never spans two texts)."""
    joined = _SEPARATOR.join(texts)
    starts: list[int] = []  # where each text starts in `joined`, found at the first hit
    hit: set[int] = set()
    for needle in needles:
        position = joined.find(needle)
        if position != -1 and not starts:
            starts = [0]
            for text in texts[:-1]:
                starts.append(starts[-1] + len(text) + 1)
        while position != -1:
            index = bisect_right(starts, position) - 1
            hit.add(index)
            position = joined.find(needle, starts[index] + len(texts[index]) + 1)
    return hit


INSIDE_SCAN = 1 << 25
"""Characters `inside_longer` lets `str.find` scan in one call (some milliseconds): over twice
what a page's blocks have needed, short of what a book-length page's thousands need."""


def inside_longer(texts: Sequence[str], scan: int = INSIDE_SCAN) -> set[int]:
    """Positions of the texts that occur inside a longer one; `texts` are distinct and
    ordered longest first.

    Each text is looked for in those before it, joined: `str.find` scans them in C, faster
    than any index for a page's few hundred blocks, but the scans grow with the square of
    their number (a 3 MB page of paragraphs took 3.5 s). Once they have read `scan`
    characters, each of the rest is first tested against the word triples of the texts
    before it (one inside another holds only triples of it, but for its first and last
    words, which may be parts of words there), and only one that passes is looked for, until
    the scans have read `scan` characters more; past those, the rest count as inside none.
    """
    joined = _SEPARATOR.join(texts)
    inside: set[int] = set()
    known: set[int] | None = None  # the triples before (hashed), once the scans run long
    start = scanned = 0  # where the current text starts in `joined`; characters scanned
    for position, text in enumerate(texts):
        if known is None and scanned + start > scan:
            known = set()
            for longer in texts[:position]:
                known.update(_triples(longer.split(" ")))
        if known is not None:
            words = text.split(" ")
            passes = known.issuperset(_triples(words[1:-1]))
            known.update(_triples(words))
            if not passes or scanned + start > 2 * scan:
                start += len(text) + 1
                continue
        scanned += start
        if joined.find(text, 0, start) != -1:
            inside.add(position)
        start += len(text) + 1
    return inside


def _triples(words: Sequence[str]) -> Iterable[int]:
    """Each run of three consecutive words, hashed: a text's words need not be kept, and
    two triples of one hash only cost a scan that finds nothing."""
    return map(hash, zip(words, words[1:], words[2:], strict=False))


# NUL (PostgreSQL's text refuses it) and lone surrogates (not UTF-8: no store can encode them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Terminal escape sequences (CSI `ESC [ ... final`, OSC `ESC ] ... BEL|ST`, other `ESC x`),
# then any C0/C1 control character left.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def storable(text: str) -> str:
    """The text any store can hold: NUL removed, each lone surrogate replaced by U+FFFD.
    Applied where text enters from the network (the feed parser, the extractor)."""
    if _utf8_if_storable(text) is not None:
        return text  # nothing to replace: the common case
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def storable_utf8(text: str) -> bytes:
    """`storable(text)` encoded as UTF-8, encoding it once in the common case."""
    encoded = _utf8_if_storable(text)
    return encoded if encoded is not None else storable(text).encode("utf-8")


def _utf8_if_storable(text: str) -> bytes | None:
    """The text as UTF-8 when it holds neither NUL nor a lone surrogate (the encoding, in
    C, fails on a lone surrogate: ten times faster than the pattern's scan), else None.
    NUL is looked for in the bytes, where the search is a memchr: in a str of wide
    characters it costs half as much as the encoding."""
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return None if b"\x00" in encoded else encoded


def one_line(text: str) -> str:
    """A title, a name, a label: storable, without escape sequences or control characters
    (line breaks and tabs become spaces), spacing collapsed. Safe to print on a terminal and
    to write into XML."""
    text = storable(text)
    if not text.isprintable():
        text = _CONTROL.sub(" ", _ESCAPE_SEQUENCE.sub("", text))
    return " ".join(text.split())


def printable(text: str) -> str:
    """Text to show on a terminal: escape sequences and control characters removed, line
    breaks and tabs kept."""
    if text.isprintable():
        return text
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else "", text)
