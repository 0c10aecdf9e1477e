"""Feed documents (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) into entries.

XML goes through feedparser, after the document type declaration is cut out: an internal
DTD subset is where entity-expansion bombs ("billion laughs") and external entities
(`<!ENTITY x SYSTEM "file:///etc/passwd">`) live, and a feed has no use for one. JSON Feed,
which feedparser does not read, is parsed here. One bad entry is skipped, not fatal.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from selectolax.lexbor import LexborHTMLParser

from ingest.errors import FeedParseError, describe
from ingest.http.charset import (
    charset_from_content_type,
    choose_charset,
    codec_for_label,
    decodes,
)
from ingest.text import one_line, repair_mojibake, storable
from ingest.types import FeedEntry
from ingest.urls import absolute_url, normalise_url

_CHARACTER_REFERENCE = re.compile(rb"&#([xX][0-9a-fA-F]{1,16}|[0-9]{1,24});")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s[^\[>]*(?:\[.*?\]\s*)?>", re.I | re.S)
_HTML_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I | re.S
)
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
    "application/xml",
)
JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "http://jsonfeed.org/version/1")


class NotAFeedError(FeedParseError):
    """The document is something else (an HTML page, say)."""


@dataclass(frozen=True)
class ParsedFeed:
    format: str
    title: str | None
    site_url: str | None
    entries: tuple[FeedEntry, ...]
    skipped: tuple[str, ...] = ()
    """Why each entry that could not be read was skipped."""


def parse_feed(content: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    if not content.strip():
        raise FeedParseError("empty response: no feed document")
    head = content.lstrip()[:1]
    if head in (b"{", b"[") or "json" in (content_type or "").lower():
        return _parse_json_feed(content, url, content_type)
    if _HTML_START.match(content[:4096]):
        raise NotAFeedError(_not_a_feed_message(content, url))
    return _parse_xml_feed(content, url, content_type)


def entry_guid(
    guid: str | None, link: str | None, title: str | None, published: datetime | None
) -> str:
    """Identity of an entry: its guid/id; else its normalised link; else a hash."""
    if guid and guid.strip():
        return guid.strip()
    if link and link.strip():
        return normalise_url(link)
    digest = hashlib.sha256(
        f"{title or ''}\n{published.isoformat() if published else ''}".encode()
    ).hexdigest()
    return f"sha256:{digest}"


def _unique(entries: Iterable[FeedEntry]) -> tuple[FeedEntry, ...]:
    """The first entry for each guid: a feed that repeats an item means one item."""
    seen: dict[str, FeedEntry] = {}
    for entry in entries:
        seen.setdefault(entry.guid, entry)
    return tuple(seen.values())


def _valid_references(content: bytes) -> bytes:
    """The document with each character reference to no character (NUL, a surrogate, past
    U+10FFFF) made U+FFFD: XML forbids them, and feedparser raises on some."""
    if b"&#" not in content:
        return content
    return _CHARACTER_REFERENCE.sub(_valid_reference, content)


def _valid_reference(match: re.Match[bytes]) -> bytes:
    digits = match.group(1)
    try:
        code = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
    except ValueError:
        return b"&#xFFFD;"
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"
    return match.group()


def strip_doctype(content: bytes) -> bytes:
    """The document without its type declaration (and so without any internal DTD subset)."""
    return _DOCTYPE.sub(b"", content[:65536], count=1) + content[65536:]


def _parse_xml_feed(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    safe = _valid_references(strip_doctype(content))
    # No Content-Location: feedparser would resolve guids against it, and a guid is an
    # identity to keep as written. Links are resolved against the feed's URL below.
    headers = {"content-type": _xml_content_type(content, content_type)}
    try:
        result = feedparser.parse(
            safe, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except (ValueError, LookupError, RecursionError) as exc:  # UnicodeError is a ValueError
        raise FeedParseError(f"not a readable feed: {describe(exc)}") from None
    if not result.get("version") and not result.entries:
        if _HTML_START.match(content[:4096]) or b"<html" in content[:4096].lower():
            raise NotAFeedError(_not_a_feed_message(content, url))
        problem = result.get("bozo_exception")
        raise FeedParseError(f"not a readable feed: {problem or 'unknown format'}")
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    for position, raw in enumerate(result.entries):
        try:
            entries.append(_xml_entry(raw, url))
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            skipped.append(f"entry {position + 1}: {exc}")
    meta = result.get("feed", {})
    return ParsedFeed(
        format=result.get("version") or "unknown",
        title=_line(meta.get("title")),
        site_url=_line(meta.get("link")),
        entries=_unique(entries),
        skipped=tuple(skipped),
    )


def _xml_content_type(content: bytes, content_type: str | None) -> str:
    """The Content-Type to hand feedparser, with a charset that actually decodes the bytes
    (see `ingest.http.charset`); none when only the document's own declaration can tell."""
    mime = (content_type or "").split(";", 1)[0].strip() or "application/xml"
    declared = charset_from_content_type(content_type)
    if decodes(content, "utf-8") or (declared and decodes(content, declared)):
        return f"{mime}; charset={choose_charset(content, declared)}"
    return mime


def _struct_time(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):  # a date past the ends of time
        return None


def _line(value: object) -> str | None:
    """A one-line field (title, name, URL, id) as the store can hold it, or None."""
    return one_line(value) or None if isinstance(value, str) else None


def _body(value: object) -> str | None:
    """A text field (summary, content) as the store can hold it, or None."""
    return storable(value).strip() or None if isinstance(value, str) else None


def _entry(
    base: str,
    guid: str | None,
    link: str | None,
    title: str | None,
    published: datetime | None,
    author: str | None,
    summary: str | None,
    content: str | None,
) -> FeedEntry:
    """An entry made of the raw fields, every one storable: the parser is where text from
    the network enters, so NUL, lone surrogates and control characters stop here, and
    UTF-8 that the feed's publisher stored as Windows-1252 ("Itâ€™s") is repaired (in
    its prose: the guid a feed without one gets is made from the title as it came)."""
    link = _line(link)
    if link:
        link = absolute_url(base, link)
    return FeedEntry(
        guid=entry_guid(_line(guid), link, _line(title), published),
        link=link,
        title=_line(_repaired(title)),
        published=published,
        author=_line(_repaired(author)),
        summary=_body(_repaired(summary)),
        content=_body(_repaired(content)),
    )


def _repaired(value: str | None) -> str | None:
    return repair_mojibake(value) if isinstance(value, str) else value


def _xml_entry(raw: dict[str, Any], base: str) -> FeedEntry:
    # dict.get: FeedParserDict.get maps missing keys onto others, with a warning.
    published = _struct_time(dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed"))
    content = raw.get("content") or []
    body = "\n".join(c.get("value", "") for c in content if c.get("value")) or None
    return _entry(
        base,
        guid=raw.get("id"),
        link=raw.get("link"),
        title=raw.get("title"),
        published=published,
        author=raw.get("author"),
        summary=raw.get("summary"),
        content=body,
    )


def _parse_json_feed(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    charset = charset_from_content_type(content_type)
    codec = codec_for_label(charset) if charset else None
    try:
        text = content.decode("utf-8-sig" if codec in (None, "utf-8") else codec)
    except ValueError:
        text = content.decode("utf-8", errors="replace")
    try:
        # Numbers stay strings: an id of thousands of digits is an id, not an error (int()
        # refuses more than 4,300 digits), and no number in a feed is used as one.
        data = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON Feed: not JSON ({exc})") from None
    except RecursionError:
        raise FeedParseError("invalid JSON Feed: nested too deeply to read") from None
    if not isinstance(data, dict):
        raise FeedParseError("invalid JSON Feed: the document is not an object")
    version = data.get("version")
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSIONS):
        raise FeedParseError(f"invalid JSON Feed: unknown version {version!r}")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedParseError("invalid JSON Feed: 'items' is missing or not a list")
    entries: list[FeedEntry] = []
    skipped: list[str] = []
    for position, item in enumerate(items):
        try:
            entries.append(_json_entry(item, url))
        except (KeyError, TypeError, ValueError) as exc:
            skipped.append(f"item {position + 1}: {exc}")
    return ParsedFeed(
        format="json" + one_line(version.rsplit("/", 1)[-1].replace(".", "")),
        title=_line(data.get("title")),
        site_url=_line(data.get("home_page_url")),
        entries=_unique(entries),
        skipped=tuple(skipped),
    )


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _json_date(value: object) -> datetime | None:
    """RFC 3339 as the spec asks, or RFC 822 as many feeds write; None when it is neither,
    or past the ends of time once in UTC (the item is kept either way)."""
    text = _text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        return None


def _json_entry(item: object, base: str) -> FeedEntry:
    if not isinstance(item, dict):
        raise TypeError("not an object")
    raw_id = item.get("id")
    if not isinstance(raw_id, str):  # numbers are read as strings (see _parse_json_feed)
        raise ValueError("missing 'id'")
    published = _json_date(item.get("date_published")) or _json_date(item.get("date_modified"))
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [a["name"] for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
    content = _text(item.get("content_html")) or _text(item.get("content_text"))
    return _entry(
        base,
        guid=raw_id,
        link=_text(item.get("url")) or _text(item.get("external_url")),
        title=_text(item.get("title")),
        published=published,
        author=", ".join(filter(None, map(one_line, names))) or None,
        summary=_text(item.get("summary")),
        content=content,
    )


def _not_a_feed_message(content: bytes, url: str) -> str:
    """Say the page is not a feed, and name the feed it links to, when it does."""
    tree = LexborHTMLParser(content[:2_000_000].decode("utf-8", errors="replace"))
    for link in tree.css('link[rel~="alternate"]'):
        kind = (link.attributes.get("type") or "").lower()
        href = link.attributes.get("href")
        target = absolute_url(url, one_line(href)) if href else None
        if target and kind in _FEED_TYPES:
            return f"not a feed: {url} is an HTML page; it links to a feed at {target}"
    return f"not a feed: {url} is an HTML page and links to no feed"
