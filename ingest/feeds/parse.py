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
from typing import Any
from urllib.parse import urljoin

import feedparser
from selectolax.lexbor import LexborHTMLParser

from ingest.errors import FeedParseError
from ingest.http.charset import charset_from_content_type, choose_charset, decodes
from ingest.types import FeedEntry
from ingest.urls import normalise_url

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


def strip_doctype(content: bytes) -> bytes:
    """The document without its type declaration (and so without any internal DTD subset)."""
    return _DOCTYPE.sub(b"", content[:65536], count=1) + content[65536:]


def _parse_xml_feed(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    safe = strip_doctype(content)
    # No Content-Location: feedparser would resolve guids against it, and a guid is an
    # identity to keep as written. Links are resolved against the feed's URL below.
    headers = {"content-type": _xml_content_type(content, content_type)}
    result = feedparser.parse(
        safe, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
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
        title=meta.get("title") or None,
        site_url=meta.get("link") or None,
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
    return datetime.fromtimestamp(calendar.timegm(value), UTC)


def _xml_entry(raw: dict[str, Any], base: str) -> FeedEntry:
    link = raw.get("link") or None
    if link:
        link = urljoin(base, link.strip())
    # dict.get: FeedParserDict.get maps missing keys onto others, with a warning.
    published = _struct_time(dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed"))
    title = raw.get("title") or None
    content = raw.get("content") or []
    body = "\n".join(c.get("value", "") for c in content if c.get("value")) or None
    return FeedEntry(
        guid=entry_guid(raw.get("id"), link, title, published),
        link=link,
        title=title,
        published=published,
        author=raw.get("author") or None,
        summary=raw.get("summary") or None,
        content=body,
    )


def _parse_json_feed(content: bytes, url: str, content_type: str | None) -> ParsedFeed:
    charset = charset_from_content_type(content_type)
    try:
        text = content.decode(charset or "utf-8-sig")
    except (LookupError, ValueError):  # an unknown label, or one holding a NUL
        text = content.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"invalid JSON Feed: not JSON ({exc})") from None
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
        format="json" + version.rsplit("/", 1)[-1].replace(".", ""),
        title=_text(data.get("title")),
        site_url=_text(data.get("home_page_url")),
        entries=_unique(entries),
        skipped=tuple(skipped),
    )


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _json_entry(item: object, base: str) -> FeedEntry:
    if not isinstance(item, dict):
        raise TypeError("not an object")
    raw_id = item.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | float):
        raise ValueError("missing 'id'")
    link = _text(item.get("url")) or _text(item.get("external_url"))
    if link:
        link = urljoin(base, link)
    published = None
    date = _text(item.get("date_published")) or _text(item.get("date_modified"))
    if date:
        published = datetime.fromisoformat(date.replace("Z", "+00:00"))
        published = published.astimezone(UTC) if published.tzinfo else published.replace(tzinfo=UTC)
    authors = item.get("authors") or (
        [item["author"]] if isinstance(item.get("author"), dict) else []
    )
    names = [str(a["name"]) for a in authors if isinstance(a, dict) and a.get("name")]
    title = _text(item.get("title"))
    content = _text(item.get("content_html"))
    if content is None and _text(item.get("content_text")):
        content = _text(item.get("content_text"))
    return FeedEntry(
        guid=entry_guid(str(raw_id), link, title, published),
        link=link,
        title=title,
        published=published,
        author=", ".join(names) or None,
        summary=_text(item.get("summary")),
        content=content,
    )


def _not_a_feed_message(content: bytes, url: str) -> str:
    """Say the page is not a feed, and name the feed it links to, when it does."""
    tree = LexborHTMLParser(content[:2_000_000].decode("utf-8", errors="replace"))
    for link in tree.css('link[rel~="alternate"]'):
        kind = (link.attributes.get("type") or "").lower()
        href = link.attributes.get("href")
        if href and kind in _FEED_TYPES:
            return f"not a feed: {url} is an HTML page; it links to a feed at {urljoin(url, href)}"
    return f"not a feed: {url} is an HTML page and links to no feed"
