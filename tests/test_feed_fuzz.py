"""Any bytes from the network at a feed URL: the parser returns entries whose every field is
storable, or a `FeedParseError`; never another exception, never a hang. Property-based, over
real-shaped RSS, Atom and JSON feeds (`tests.helpers.feeds.real_items`: the benchmark's
articles, every field a real entry has) mutated the way broken and hostile feeds are."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.errors import FeedParseError
from ingest.feeds.parse import parse_feed
from tests.helpers.feeds import REAL_BASE, real_atom, real_items, real_json_feed, real_rss
from tests.helpers.records import assert_storable

TIME_LIMIT = 5.0
BASE = REAL_BASE
ITEMS = real_items(8)
FEEDS = [real_rss(ITEMS), real_atom(ITEMS), real_json_feed(ITEMS)]
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
                b'<guid isPermaLink="false">',
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
