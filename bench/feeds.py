"""Feed parsing benchmark: entries parsed per second on real-shaped RSS 2.0, Atom 1.0 and
JSON Feed documents of 50 to 500 entries, ours (`ingest.feeds.parse.parse_feed`) against
feedparser alone in the same run.

    .venv/bin/python bench/feeds.py                 # 50, 200, 500 entries
    .venv/bin/python bench/feeds.py --sizes 100 --repeat 5

Entries are shaped like real ones: a title, a link with tracking parameters, a guid, a date,
an author, categories, an HTML summary and the full article in `content:encoded` / Atom
`content` / `content_html`, the texts taken from the ground truth of ../shared/bench/aeb/
(synthetic text when it is missing). Ours does what feedparser does plus what the worker
needs (the DTD cut out, a charset that decodes, links resolved and normalised, every field
made storable); feedparser reads no JSON Feed, so there the peer is `json.loads` alone.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.feeds.parse import parse_feed  # noqa: E402

TRUTH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "aeb"
BASE = "https://news.example"


def texts() -> list[tuple[str, str]]:
    """(title, body) pairs: the benchmark's articles, or synthetic ones without the data."""
    path = TRUTH / "ground-truth.json"
    if path.exists():
        truth = json.loads(path.read_text(encoding="utf-8"))
        return [
            (v["articleBody"].split("\n", 1)[0][:90], v["articleBody"])
            for _, v in sorted(truth.items())
        ]
    rng = random.Random(3)
    words = [
        "the",
        "council",
        "said",
        "on",
        "monday",
        "that",
        "its",
        "plan",
        "for",
        "the",
        "new",
        "bridge",
        "would",
        "cost",
        "more",
    ]
    return [
        (" ".join(rng.choices(words, k=9)), " ".join(rng.choices(words, k=600))) for _ in range(200)
    ]


def _items(count: int) -> list[dict[str, str]]:
    pool = texts()
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    items = []
    for n in range(count):
        title, body = pool[n % len(pool)]
        paragraphs = [p for p in body.split("\n") if p.strip()]
        items.append(
            {
                "title": title,
                "link": f"{BASE}/2026/11/story-{n}.html?utm_source=rss&utm_medium=feed",
                "guid": f"{BASE}/?p={100000 + n}",
                "date": (start - timedelta(minutes=37 * n)).isoformat(),
                "author": f"Reporter {n % 17}",
                "summary": f"<p>{escape(paragraphs[0][:400])}</p>",
                "content": "".join(f"<p>{escape(p)}</p>" for p in paragraphs),
                "category": ["News", "World", "Politics"][n % 3],
            }
        )
    return items


def rss(items: list[dict[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(i['title'])}</title><link>{escape(i['link'])}</link>"
        f'<guid isPermaLink="false">{escape(i["guid"])}</guid>'
        f"<pubDate>{format_datetime(datetime.fromisoformat(i['date']))}</pubDate>"
        f"<dc:creator>{escape(i['author'])}</dc:creator><category>{i['category']}</category>"
        f"<description>{escape(i['summary'])}</description>"
        f"<content:encoded><![CDATA[{i['content']}]]></content:encoded></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News</title>'
        f"<link>{BASE}/</link><description>All the news</description>{body}</channel></rss>"
    ).encode()


def atom(items: list[dict[str, str]]) -> bytes:
    body = "".join(
        f'<entry><title>{escape(i["title"])}</title><link href="{escape(i["link"])}"/>'
        f"<id>{escape(i['guid'])}</id><updated>{i['date']}</updated>"
        f"<author><name>{escape(i['author'])}</name></author>"
        f'<category term="{i["category"]}"/><summary type="html">{escape(i["summary"])}</summary>'
        f'<content type="html">{escape(i["content"])}</content></entry>'
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>News</title><id>{BASE}/</id><updated>2026-11-30T12:00:00Z</updated>"
        f'<link href="{BASE}/"/>{body}</feed>'
    ).encode()


def json_feed(items: list[dict[str, str]]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "News",
            "home_page_url": f"{BASE}/",
            "items": [
                {
                    "id": i["guid"],
                    "url": i["link"],
                    "title": i["title"],
                    "date_published": i["date"],
                    "authors": [{"name": i["author"]}],
                    "tags": [i["category"]],
                    "summary": i["summary"],
                    "content_html": i["content"],
                }
                for i in items
            ],
        }
    ).encode()


def per_second(parse: Callable[[], int], repeat: int) -> float:
    """Entries per second, the best of `repeat` runs (the least disturbed)."""
    best = float("inf")
    entries = 0
    for _ in range(repeat):
        started = time.perf_counter()
        entries = parse()
        best = min(best, time.perf_counter() - started)
    return entries / best


def _ours(document: bytes, url: str, content_type: str) -> Callable[[], int]:
    return lambda: len(parse_feed(document, url, content_type).entries)


def _peer(document: bytes, is_json: bool) -> Callable[[], int]:
    """feedparser with the options ours gives it (no sanitising, no URI resolving)."""
    if is_json:
        return lambda: len(json.loads(document)["items"])
    return lambda: len(
        feedparser.parse(document, sanitize_html=False, resolve_relative_uris=False).entries
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,500", help="Entries per feed.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best counts.")
    args = parser.parse_args()
    url = f"{BASE}/feed"
    print(f"{'format':<6} {'entries':>7} {'KiB':>7} {'ours/s':>9} {'peer/s':>9} {'ratio':>6}  peer")
    for size in (int(s) for s in args.sizes.split(",")):
        items = _items(size)
        for name, document, content_type in [
            ("rss", rss(items), "application/rss+xml"),
            ("atom", atom(items), "application/atom+xml"),
            ("json", json_feed(items), "application/feed+json"),
        ]:
            assert len(parse_feed(document, url, content_type).entries) == size
            ours = per_second(_ours(document, url, content_type), args.repeat)
            peer_name = "json.loads" if name == "json" else "feedparser"
            peer = per_second(_peer(document, name == "json"), args.repeat)
            print(
                f"{name:<6} {size:>7} {len(document) / 1024:>7.0f} {ours:>9.0f} {peer:>9.0f} "
                f"{ours / peer:>6.2f}  {peer_name}"
            )


if __name__ == "__main__":
    main()
