"""Choosing the character encoding of fetched bytes.

Declarations are often wrong. Bytes that are valid UTF-8 are taken as UTF-8 (text in other
encodings is almost never valid UTF-8 once it has a non-ASCII character); otherwise the first
declared charset that decodes the bytes; otherwise Windows-1252, which decodes anything.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BOM_PREFIXES = tuple(bom for bom, _ in _BOMS)


def charset_from_content_type(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip("\"' ") or None
    return None


def decodes(content: bytes, charset: str) -> bool:
    """Whether `charset` names a codec and the bytes decode with it (a label holding a NUL
    or other garbage names none)."""
    try:
        content.decode(charset)
    except (LookupError, ValueError):  # UnicodeDecodeError is a ValueError
        return False
    return True


def choose_charset(content: bytes, *declared: str | None) -> str:
    """The charset to decode `content` with, given what the transport and document say."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    if decodes(content, "utf-8"):
        return "utf-8"
    for hint in declared:
        if hint and decodes(content, hint):
            return codecs.lookup(hint).name
    return "cp1252" if decodes(content, "cp1252") else "latin-1"


def decode_html(content: bytes | str, content_type: str | None = None) -> str:
    """HTML bytes to text: the HTTP charset and the page's `<meta charset>` as hints."""
    if isinstance(content, str):
        return content
    text = _utf8(content)
    if text is not None:
        return text
    charset = choose_charset(content, *_hints(content, content_type))
    return content.decode(charset, errors="replace").lstrip("\ufeff")


def html_for_parser(content: bytes | str, content_type: str | None = None) -> bytes | str:
    """What to give the HTML parser: UTF-8 bytes as they are (it parses UTF-8; decoding
    them to text only for it to encode them again costs two passes over the page), any
    other encoding decoded to text."""
    if isinstance(content, bytes) and (content.isascii() or _utf8(content) is not None):
        return content
    return decode_html(content, content_type)


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
