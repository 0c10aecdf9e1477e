"""Feed documents for the tests."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape as html_escape
from pathlib import Path
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


# Real-shaped feeds: the benchmark's articles (synthetic text without the data) as RSS 2.0,
# Atom 1.0 and JSON Feed entries with every field a real one has. bench/feeds.py times
# them; tests/test_feed_fuzz.py mutates them.

REAL_BASE = "https://news.example"
AEB_TRUTH = Path(__file__).resolve().parents[3] / "shared" / "bench" / "aeb" / "ground-truth.json"


def article_texts() -> list[tuple[str, str]]:
    """(title, body) pairs: the benchmark's articles, or synthetic ones without the data."""
    if AEB_TRUTH.exists():
        truth = json.loads(AEB_TRUTH.read_text(encoding="utf-8"))
        bodies = [v["articleBody"] for _, v in sorted(truth.items())]
        return [(body.split("\n", 1)[0][:90], body) for body in bodies]
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


def real_items(count: int) -> list[dict[str, str]]:
    pool = article_texts()
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    items = []
    for n in range(count):
        title, body = pool[n % len(pool)]
        paragraphs = [p for p in body.split("\n") if p.strip()]
        items.append(
            {
                "title": title,
                "link": f"{REAL_BASE}/2026/11/story-{n}.html?utm_source=rss&utm_medium=feed",
                "guid": f"{REAL_BASE}/?p={100000 + n}",
                "date": (start - timedelta(minutes=37 * n)).isoformat(),
                "author": f"Reporter {n % 17}",
                "summary": f"<p>{html_escape(paragraphs[0][:400])}</p>",
                "content": "".join(f"<p>{html_escape(p)}</p>" for p in paragraphs),
                "category": ["News", "World", "Politics"][n % 3],
            }
        )
    return items


def real_rss(items: list[dict[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{html_escape(i['title'])}</title><link>{html_escape(i['link'])}</link>"
        f'<guid isPermaLink="false">{html_escape(i["guid"])}</guid>'
        f"<pubDate>{format_datetime(datetime.fromisoformat(i['date']))}</pubDate>"
        f"<dc:creator>{html_escape(i['author'])}</dc:creator><category>{i['category']}</category>"
        f"<description>{html_escape(i['summary'])}</description>"
        f"<content:encoded><![CDATA[{i['content']}]]></content:encoded></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>News</title>'
        f"<link>{REAL_BASE}/</link><description>All the news</description>{body}</channel></rss>"
    ).encode()


def real_atom(items: list[dict[str, str]]) -> bytes:
    body = "".join(
        f'<entry><title>{html_escape(i["title"])}</title><link href="{html_escape(i["link"])}"/>'
        f"<id>{html_escape(i['guid'])}</id><updated>{i['date']}</updated>"
        f"<author><name>{html_escape(i['author'])}</name></author>"
        f'<category term="{i["category"]}"/>'
        f'<summary type="html">{html_escape(i["summary"])}</summary>'
        f'<content type="html">{html_escape(i["content"])}</content></entry>'
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>News</title><id>{REAL_BASE}/</id><updated>2026-11-30T12:00:00Z</updated>"
        f'<link href="{REAL_BASE}/"/>{body}</feed>'
    ).encode()


def real_json_feed(items: list[dict[str, str]]) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "News",
            "home_page_url": f"{REAL_BASE}/",
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
