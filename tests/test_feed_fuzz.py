"""Any bytes from the network at a feed URL: the parser returns entries whose every field is
storable, or a `FeedParseError`; never another exception, never a hang. Property-based, over
real-shaped RSS, Atom and JSON feeds (texts from the benchmark's articles) mutated the way
broken and hostile feeds are."""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import FeedParseError
from ingest.feeds.parse import parse_feed
from tests.helpers.records import assert_storable

TIME_LIMIT = 5.0
TRUTH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "aeb" / "ground-truth.json"
BASE = "https://news.example"


def _stories() -> list[tuple[str, str]]:
    if TRUTH.exists():
        truth = json.loads(TRUTH.read_text(encoding="utf-8"))
        bodies = [v["articleBody"] for _, v in sorted(truth.items())][:8]
    else:
        bodies = [f"Story {n}.\nIt has a second paragraph, said the council." for n in range(8)]
    return [(body.split("\n", 1)[0][:90], body) for body in bodies]


def _rss(stories: list[tuple[str, str]]) -> bytes:
    items = "".join(
        f"<item><title>{escape(t)}</title><link>{BASE}/s/{n}?utm_source=rss</link>"
        f"<guid>{BASE}/?p={n}</guid><pubDate>Mon, 30 Nov 2026 1{n}:00:00 +0100</pubDate>"
        f"<dc:creator>Reporter {n}</dc:creator><description>{escape(b[:300])}</description>"
        f"<content:encoded><![CDATA[<p>{escape(b)}</p>]]></content:encoded></item>"
        for n, (t, b) in enumerate(stories)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News</title>'
        f"<link>{BASE}/</link>{items}</channel></rss>"
    ).encode()


def _atom(stories: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f'<entry><title>{escape(t)}</title><link href="/s/{n}"/><id>urn:s:{n}</id>'
        f"<updated>2026-11-30T1{n}:00:00Z</updated><author><name>R {n}</name></author>"
        f'<content type="html">{escape(f"<p>{b}</p>")}</content></entry>'
        for n, (t, b) in enumerate(stories)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>News</title><id>{BASE}/</id>{entries}</feed>"
    ).encode()


def _json(stories: list[tuple[str, str]]) -> bytes:
    items = [
        {
            "id": str(n),
            "url": f"/s/{n}",
            "title": t,
            "date_published": f"2026-11-30T1{n}:00:00+01:00",
            "authors": [{"name": f"R {n}"}],
            "content_html": f"<p>{b}</p>",
        }
        for n, (t, b) in enumerate(stories)
    ]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": items}).encode()


STORIES = _stories()
FEEDS = [_rss(STORIES), _atom(STORIES), _json(STORIES)]
HOSTILE = [
    b"\x00",
    b"\xff\xfe",
    b"\xed\xa0\x80",  # a surrogate, UTF-8 encoded
    b"\\ud800",
    b"\\u0000",
    b"\x1b]0;owned\x07",
    b"&#0;",
    b"&#xD800;",
    b"9" * 5000,
    b"9999-12-31T23:59:59-01:00",
    b"0001-01-01T00:00:00+01:00",
    b"http://[oops",
    b"<![CDATA[",
    b"]]>",
    b'"',
    b"{",
    b"[" * 2000,
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
    b'<!ENTITY x SYSTEM "file:///etc/passwd">&x;',
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    feed = draw(st.sampled_from(FEEDS))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["insert", "field", "cut", "repeat", "swap"]))
        at = draw(st.integers(0, max(0, len(feed) - 1)))
        if kind == "insert":  # hostile bytes anywhere
            feed = feed[:at] + draw(st.sampled_from(HOSTILE)) + feed[at:]
        elif kind == "field":  # a hostile value where a field's value starts
            marks = [
                b"<title>",
                b"<link>",
                b"<guid>",
                b"<pubDate>",
                b'"id": ',
                b'"title": "',
                b'"date_published": "',
                b'"url": "',
                b"<updated>",
                b'href="',
            ]
            mark = draw(st.sampled_from(marks))
            where = feed.find(mark, at)
            if where >= 0:
                where += len(mark)
                feed = feed[:where] + draw(st.sampled_from(HOSTILE)) + feed[where:]
        elif kind == "cut":  # the document ends anywhere
            feed = feed[:at]
        elif kind == "repeat":  # many entries, or one repeated
            feed = feed[:at] + feed[at : at + 2000] * draw(st.integers(2, 50)) + feed[at:]
        else:  # bytes swapped
            feed = feed[:at] + bytes(reversed(feed[at : at + 64])) + feed[at + 64 :]
    return feed


@settings(
    max_examples=200,
    deadline=None,  # the time limit is asserted below, with room for a loaded machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(
    feed=mutated(),
    content_type=st.sampled_from(
        [
            None,
            "application/rss+xml",
            "application/feed+json",
            "text/xml; charset=\x00",
            "application/json; charset=gb2312",
            "text/xml; charset=iso-8859-1",
        ]
    ),
)
def test_any_mutated_feed_gives_storable_entries_or_a_parse_error_in_time(
    feed: bytes, content_type: str | None
) -> None:
    started = time.monotonic()
    try:
        parsed = parse_feed(feed, f"{BASE}/feed", content_type)
    except FeedParseError:
        pass
    else:
        assert_storable(parsed.title, parsed.site_url, parsed.format)
        for entry in parsed.entries:
            assert_storable(
                entry.guid, entry.link, entry.title, entry.author, entry.summary, entry.content
            )
            for line in (entry.title, entry.author, entry.guid):
                assert line is None or line.isprintable() or "\x1b" not in line
            if entry.published is not None:
                assert entry.published.utcoffset() is not None
                entry.published.astimezone().isoformat()  # within the ends of time
    assert time.monotonic() - started < TIME_LIMIT
