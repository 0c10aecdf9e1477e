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


def charset_from_content_type(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip("\"' ") or None
    return None


def decodes(content: bytes, charset: str) -> bool:
    try:
        content.decode(charset)
    except (LookupError, UnicodeDecodeError):
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
    meta = _META_CHARSET.search(content[:4096])
    hints = (
        charset_from_content_type(content_type),
        meta.group(1).decode("ascii") if meta else None,
    )
    charset = choose_charset(content, *hints)
    return content.decode(charset, errors="replace").lstrip("\ufeff")
