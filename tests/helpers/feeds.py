"""Feed documents for the tests."""

from __future__ import annotations

from xml.sax.saxutils import escape


def rss(items: list[tuple[str, str, str]], title: str = "A feed", extra: str = "") -> bytes:
    """RSS 2.0 with (guid, link, title) items, dated one hour apart."""
    body = "".join(
        f"<item><guid>{escape(guid)}</guid><link>{escape(link)}</link>"
        f"<title>{escape(item_title)}</title>"
        f"<pubDate>Sat, 28 Nov 2026 {10 - i:02d}:00:00 GMT</pubDate></item>"
        for i, (guid, link, item_title) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://site.example/</link>{extra}{body}"
        "</channel></rss>"
    ).encode()


ITEMS = [(f"guid-{i}", f"https://site.example/story/{i}", f"Story {i}") for i in range(3)]
