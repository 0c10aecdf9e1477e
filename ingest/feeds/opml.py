"""OPML subscription lists in and out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import quoteattr

from ingest.errors import FeedParseError
from ingest.feeds.parse import strip_doctype
from ingest.text import one_line


class OpmlError(FeedParseError):
    """The document could not be read as an OPML subscription list."""


def feed_urls(document: bytes) -> list[str]:
    """The `xmlUrl` of every outline, in order, each once (DTDs are never expanded)."""
    try:
        root = ET.fromstring(strip_doctype(document))
    except ET.ParseError as exc:
        raise OpmlError(f"not a readable OPML file: {exc}") from None
    urls = [o.get("xmlUrl", "").strip() for o in root.iter("outline")]
    return list(dict.fromkeys(u for u in urls if u))


def export(feeds: list[tuple[str, str | None]]) -> str:
    """Well-formed XML whatever the titles hold: control characters, which XML 1.0 does
    not allow even escaped, are dropped."""
    outlines = "\n".join(
        f'    <outline type="rss" text={quoteattr(one_line(title or url))} '
        f"xmlUrl={quoteattr(one_line(url))}/>"
        for url, title in feeds
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n'
        "  <head><title>feed-ingest subscriptions</title></head>\n"
        f"  <body>\n{outlines}\n  </body>\n</opml>\n"
    )
