"""Choosing the character encoding of fetched bytes.

In the order browsers use (the WHATWG Encoding Standard), with one step before the
declarations, because they are often wrong:

1. a byte order mark;
2. bytes that are valid UTF-8 are UTF-8 (text in another encoding is almost never valid
   UTF-8 once it has a non-ASCII character);
3. the HTTP charset, then the document's `<meta charset>` (or the XML declaration's), each
   read by the WHATWG label table (`webencodings`): `iso-8859-1` and `ascii` mean
   windows-1252, `gb2312` means GBK, `x-sjis` Shift_JIS, and so on; a label the table does
   not know is ignored, and one whose bytes do not decode is passed over;
4. detection (`charset_normalizer`), kept when it finds a non-Latin script (Shift_JIS,
   GBK, Big5, EUC-KR, windows-1251, ...): single-byte Latin encodings are not told apart by
   statistics, and for those
5. windows-1252, the standard's default, which decodes anything.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import webencodings
from charset_normalizer import from_bytes

from ingest.text import storable, storable_utf8

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
DETECTION_SAMPLE = 64 * 1024


def charset_from_content_type(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip("\"' ") or None
    return None


def codec_for_label(label: str) -> str | None:
    """The Python codec of an encoding label, by the WHATWG table; None for a label it does
    not know (one holding a NUL, say) or that names no decoder a page can use."""
    encoding = webencodings.lookup(label)
    if encoding is None:
        return None
    try:
        return codecs.lookup(encoding.codec_info.name).name
    except LookupError:  # "replacement", "x-user-defined"
        return None


def decodes(content: bytes, label: str) -> bool:
    """Whether `label` names an encoding (WHATWG labels) and the bytes decode with it."""
    codec = codec_for_label(label)
    return codec is not None and _decodes(content, codec)


def _decodes(content: bytes, codec: str) -> bool:
    try:
        content.decode(codec)
    except ValueError:  # UnicodeDecodeError is a ValueError
        return False
    return True


def choose_charset(content: bytes, *declared: str | None) -> str:
    """The codec to decode `content` with, given what the transport and document say (in
    that order; see the module's docstring)."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    if _decodes(content, "utf-8"):
        return "utf-8"
    for hint in declared:
        codec = codec_for_label(hint) if hint else None
        if codec is not None and _decodes(content, codec):
            return codec
    return _detected(content) or "cp1252"


def _detected(content: bytes) -> str | None:
    """The encoding statistics find, when its text is not in the Latin script. They are
    run on a sample (64 KiB from the first non-ASCII byte, cut where a character ends):
    on a whole page of megabytes they take seconds."""
    first = _NON_ASCII.search(content)
    if first is None:
        return None
    end = first.start() + DETECTION_SAMPLE
    sample = content[max(0, first.start() - 1024) : end]
    if end < len(content):  # cut: end it on an ASCII byte, not inside a character
        cut = max(sample.rfind(b" "), sample.rfind(b"<"), sample.rfind(b"\n"))
        sample = sample[:cut] if cut > 0 else sample
    best = from_bytes(sample).best()
    if best is None or best.encoding is None:
        return None
    letters = [c for c in str(best) if not c.isascii() and c.isalpha()]
    latin = sum(unicodedata.name(c, "").startswith("LATIN") for c in letters)
    return None if latin * 2 >= len(letters) else codecs.lookup(best.encoding).name


def decode_html(content: bytes | str, content_type: str | None = None) -> str:
    """HTML bytes to text: the HTTP charset and the page's `<meta charset>` as hints."""
    if isinstance(content, str):
        return storable(content)
    text = _utf8(content)
    if text is not None:
        return text
    charset = choose_charset(content, *_hints(content, content_type))
    return content.decode(charset, errors="replace").lstrip("\ufeff")


def html_for_parser(content: bytes | str, content_type: str | None = None) -> bytes | str:
    """What to give the HTML parser: UTF-8 bytes as they are (it parses UTF-8; decoding
    them to text only for it to encode them again costs two passes over the page), text
    as UTF-8 once it is storable (the parser would encode it itself), any other encoding
    decoded to text."""
    if isinstance(content, str):
        return storable_utf8(content)
    if _plain_utf8(content):
        return content
    return decode_html(content, content_type)


def utf8_html(content: bytes, content_type: str | None = None) -> bytes:
    """The page as UTF-8 bytes (what `decode_html` gives, encoded): the bytes themselves
    when they are UTF-8 already, neither decoded nor encoded again."""
    if _plain_utf8(content):
        return content
    return decode_html(content, content_type).encode("utf-8")


def _plain_utf8(content: bytes) -> bool:
    """UTF-8 as it is: ASCII, or UTF-8 that decodes, without a byte order mark."""
    return content.isascii() or _utf8(content) is not None


def _utf8(content: bytes) -> str | None:
    """The text, when the bytes are UTF-8 without a byte order mark (the common case,
    taken before looking at any declaration: see the module's docstring)."""
    if content.startswith(_BOM_PREFIXES):
        return None
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _hints(content: bytes, content_type: str | None) -> tuple[str | None, str | None]:
    meta = _META_CHARSET.search(content[:4096])
    return (
        charset_from_content_type(content_type),
        meta.group(1).decode("ascii") if meta else None,
    )
