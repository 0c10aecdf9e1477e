"""Feed parsing: every format, malformed and hostile documents."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import FeedParseError
from ingest.feeds.parse import NotAFeedError, entry_guid, parse_feed
from tests.helpers.feeds import ITEMS, rss

URL = "https://site.example/feed"


def test_rss20() -> None:
    feed = parse_feed(rss(ITEMS), URL, "application/rss+xml")
    assert feed.format == "rss20" and feed.title == "A feed"
    assert [e.guid for e in feed.entries] == ["guid-0", "guid-1", "guid-2"]
    assert feed.entries[0].link == "https://site.example/story/0"
    assert feed.entries[0].published == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def test_rss091_and_rss10() -> None:
    rss091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://o.example/</link>
<item><title>One &amp; only</title><link>https://o.example/1</link></item></channel></rss>"""
    feed = parse_feed(rss091, URL)
    assert feed.format == "rss091n" or feed.format.startswith("rss09")
    assert feed.entries[0].title == "One & only"
    assert feed.entries[0].guid == "https://o.example/1"  # no guid: the normalised link
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://r.example/"><title>RDF</title><link>https://r.example/</link></channel>
<item rdf:about="https://r.example/1"><title>First</title><link>https://r.example/1</link></item>
</rdf:RDF>"""
    feed = parse_feed(rdf, URL)
    assert feed.format == "rss10" and feed.entries[0].title == "First"


def test_atom10_and_atom03() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<link href="https://a.example/"/><id>urn:feed</id><updated>2026-11-28T10:00:00Z</updated>
<entry><id>urn:1</id><title>Entry</title><link href="/posts/1"/>
<updated>2026-11-28T09:00:00+01:00</updated><content type="html">&lt;p&gt;Body&lt;/p&gt;</content>
<author><name>Ann</name></author></entry></feed>"""
    feed = parse_feed(atom, "https://a.example/feed.xml")
    entry = feed.entries[0]
    assert feed.format == "atom10"
    assert (entry.guid, entry.link, entry.author) == ("urn:1", "https://a.example/posts/1", "Ann")
    assert entry.published == datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
    assert entry.content == "<p>Body</p>"
    atom03 = b"""<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">
<title>Old atom</title><entry><id>tag:1</id><title>E</title>
<link rel="alternate" href="https://a.example/e"/><issued>2005-01-01T00:00:00Z</issued></entry>
</feed>"""
    assert parse_feed(atom03, URL).format == "atom03"


@pytest.mark.parametrize("version", ["1", "1.1"])
def test_json_feed(version: str) -> None:
    doc = {
        "version": f"https://jsonfeed.org/version/{version}",
        "title": "JSON",
        "home_page_url": "https://j.example/",
        "items": [
            {
                "id": 1,
                "url": "https://j.example/1",
                "title": "One",
                "date_published": "2026-11-28T10:00:00Z",
                "content_html": "<p>x</p>",
                "authors": [{"name": "Bo"}],
            },
            {"id": "2", "url": "/2", "content_text": "plain"},
            {"id": "1", "title": "repeat of 1"},
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), "https://j.example/feed.json")
    assert feed.format == f"json{version.replace('.', '')}"
    assert [e.guid for e in feed.entries] == ["1", "2"]
    assert feed.entries[0].published == datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert feed.entries[0].author == "Bo"
    assert feed.entries[1].link == "https://j.example/2"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "not JSON"),
        (b'{"version": "https://example.com/other", "items": []}', "unknown version"),
        (b'{"version": "https://jsonfeed.org/version/1.1"}', "'items' is missing"),
        (b"[1, 2]", "not an object"),
    ],
)
def test_invalid_json_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, URL, "application/feed+json")


def test_json_feed_skips_a_bad_item_and_keeps_the_rest_with_or_without_a_date() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [
            {"id": "a", "title": "ok"},
            {"title": "no id"},
            "junk",
            {"id": "b", "date_published": "not a date"},
            {"id": "c"},
        ],
    }
    feed = parse_feed(json.dumps(doc).encode(), URL)
    assert [e.guid for e in feed.entries] == ["a", "b", "c"]
    assert feed.entries[1].published is None  # an unreadable date loses the date, not the item
    assert len(feed.skipped) == 2


def test_empty_body_is_an_error() -> None:
    with pytest.raises(FeedParseError, match="empty response"):
        parse_feed(b"  \n", URL)


def test_html_page_is_not_a_feed_and_names_the_linked_feed() -> None:
    page = b"""<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>Hi</body></html>"""
    with pytest.raises(NotAFeedError, match=r"links to a feed at https://site.example/feed.xml"):
        parse_feed(page, "https://site.example/blog", "text/html")
    with pytest.raises(NotAFeedError, match="links to no feed"):
        parse_feed(b"<html><body>plain</body></html>", URL, "text/html")


def test_garbage_is_an_error() -> None:
    with pytest.raises(FeedParseError):
        parse_feed(b"\x00\x01 this is not xml at all", URL)


def test_billion_laughs_is_never_expanded() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
        '<rss version="2.0"><channel><title>Bomb</title>'
        "<item><guid>1</guid><title>&lol9;</title><link>https://b.example/1</link></item>"
        "</channel></rss>"
    ).encode()
    tracemalloc.start()
    started = time.monotonic()
    try:
        feed = parse_feed(doc, URL)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 20 * 1024 * 1024  # expanded, &lol9; alone would be 3 GB
    for entry in feed.entries:
        assert "lollollol" not in (entry.title or "")


def test_external_entities_are_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&xxe;</title>'
        "<item><guid>1</guid><title>Leak: &xxe;</title><description>&xxe;</description>"
        "<link>https://x.example/1</link></item></channel></rss>"
    ).encode()
    feed = parse_feed(doc, URL)
    everything = repr(feed)
    assert "TOP-SECRET-CONTENT" not in everything
    assert [e.guid for e in feed.entries] == ["1"]


def test_one_broken_entry_does_not_sink_the_others() -> None:
    doc = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        b"<item><guid>good-1</guid><title>Good one</title><link>https://g.example/1</link></item>"
        b"<item><guid>broken</guid><title>Fish & chips <b>unclosed</title>"
        b"<pubDate>not a date at all</pubDate><link>https://g.example/2</link></item>"
        b"<item><guid>good-3</guid><title>Good three</title><link>https://g.example/3</link></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(doc, URL)
    guids = [e.guid for e in feed.entries]
    assert "good-1" in guids and "good-3" in guids
    assert next(e for e in feed.entries if e.guid == "good-3").title == "Good three"


def test_duplicate_guids_give_one_entry() -> None:
    items = [
        ("same", "https://d.example/1", "First"),
        ("same", "https://d.example/1", "Again"),
        ("other", "https://d.example/2", "Other"),
    ]
    feed = parse_feed(rss(items), URL)
    assert [(e.guid, e.title) for e in feed.entries] == [("same", "First"), ("other", "Other")]


def test_wrong_charset_declared() -> None:
    utf8 = rss([("1", "https://c.example/1", "Café crème")])
    # Declared Latin-1 but the bytes are UTF-8.
    assert parse_feed(utf8, URL, "application/rss+xml; charset=iso-8859-1").entries[0].title == (
        "Café crème"
    )
    # Declared UTF-8 (header and XML declaration) but the bytes are Windows-1252.
    cp1252 = utf8.decode().encode("cp1252")
    title = parse_feed(cp1252, URL, "text/xml; charset=utf-8").entries[0].title
    assert title == "Café crème"


def test_entry_identity_falls_back_to_link_then_hash() -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    assert entry_guid(" id ", "https://x/1", "t", when) == "id"
    assert entry_guid(None, "HTTPS://X/1?utm_source=a", "t", when) == "https://x/1"
    hashed = entry_guid(None, None, "t", when)
    assert hashed.startswith("sha256:") and hashed == entry_guid("", "", "t", when)
    assert hashed != entry_guid(None, None, "t", None)


def test_utf8_stored_as_windows_1252_is_put_back_and_the_entry_keeps_its_identity() -> None:
    garbled = "It’s here — a café".encode().decode("cp1252")  # "Itâ€™s here â€” a cafÃ©"
    feed = parse_feed(rss([("", "", garbled)]), URL, "application/rss+xml")
    entry = feed.entries[0]
    assert entry.title == "It’s here — a café"
    # No guid and no link: the identity is made from the title as the feed gave it, so an
    # entry stored before this repair existed is the same entry.
    assert entry.guid == entry_guid(None, None, garbled, entry.published)
