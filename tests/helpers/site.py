"""A news site for the end-to-end tests, served by `tests.httpserver.TestServer`.

Article pages are real pages from the extraction benchmark (../shared/bench/aeb/html/) plus
pages built from its ground-truth texts: a syndicated near-copy, a page whose body is
captured twice with a related-links block. Dozens of feeds list them, some under
tracking-parameter URLs, some in several feeds; some feeds and pages are broken.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from tests.helpers.feeds import rss
from tests.helpers.httpserver import TestServer, drip, respond

AEB = Path(__file__).resolve().parents[3] / "shared" / "bench" / "aeb"


def aeb_pages(count: int) -> list[tuple[str, bytes, str]]:
    """(id, html, expected text) of the first `count` benchmark pages with long texts."""
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        text = item["articleBody"]
        if len(text.split()) < 300:
            continue
        html = gzip.decompress((AEB / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id[:12], html, text))
        if len(pages) == count:
            break
    return pages


def article_page(title: str, paragraphs: list[str], extra: str = "") -> bytes:
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{escape(title)}</title></head><body>"
        f'<nav><a href="/">Home</a></nav><article><h1>{escape(title)}</h1>'
        f'<div class="story-body">{body}</div>{extra}</article></body></html>'
    ).encode()


def edit_words(text: str, share: float, seed: int) -> str:
    """Replace `share` of the words by other words (a light editorial pass)."""
    rng = random.Random(seed)
    words = text.split(" ")  # newlines stay inside words: paragraphs keep their breaks
    for i in rng.sample(range(len(words)), max(1, int(len(words) * share))):
        words[i] = rng.choice(["however", "reportedly", "notably", "also", "said"])
    return " ".join(words)


@dataclass
class Site:
    server: TestServer
    feeds: list[str] = field(default_factory=list)
    good_feeds: list[str] = field(default_factory=list)
    broken_feeds: list[str] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)
    """path -> expected text for the pages that should become articles."""
    original: str = ""
    near_copy: str = ""
    doubled: str = ""
    doubled_first_paragraph: str = ""
    related_headline: str = ""
    broken_pages: list[str] = field(default_factory=list)
    feed_items: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def serve_feed(self, path: str, items: list[tuple[str, str, str]]) -> None:
        self.feed_items[path] = items
        self.server.route(path, respond(200, rss(items, title=f"Feed {path}")))


def build_site(server: TestServer, real_pages: int = 12) -> Site:
    site = Site(server)
    url = server.url
    page_paths = []
    for page_id, html, text in aeb_pages(real_pages):
        path = f"/news/{page_id}.html"
        server.route(path, respond(200, html, "text/html; charset=utf-8"))
        site.pages[path] = text
        page_paths.append(path)

    truth = aeb_pages(real_pages + 2)[-2:]
    original_text, doubled_text = truth[0][2], truth[1][2]
    paragraphs = [p for p in original_text.split("\n") if p.strip()]
    site.original = "/wire/original.html"
    server.route(site.original, respond(200, article_page("Original", paragraphs), "text/html"))
    site.near_copy = "/partner/syndicated-copy.html"
    edited = edit_words("\n".join(paragraphs), 0.015, 7).split("\n")
    server.route(site.near_copy, respond(200, article_page("Copy", edited), "text/html"))

    doubled = [p for p in doubled_text.split("\n") if p.strip()]
    site.doubled = "/news/doubled.html"
    site.doubled_first_paragraph = doubled[0]
    site.related_headline = "Ten ways to save on your winter heating bill"
    related = (
        "<div><div>You may also like</div>"
        f'<div><a href="/x">{site.related_headline}</a></div>'
        '<div><a href="/y">Celebrity chef opens a third restaurant downtown</a></div>'
        '<div><a href="/z">Local team wins the regional cup after extra time</a></div></div>'
    )
    copy_block = "".join(f"<p>{escape(p)}</p>" for p in doubled)
    server.route(
        site.doubled,
        respond(
            200,
            article_page("Doubled", doubled, f'<div class="copy2">{copy_block}</div>{related}'),
            "text/html",
        ),
    )

    site.broken_pages = ["/news/missing.html", "/news/slow.html"]
    server.route("/news/slow.html", drip(b"<html>" + b" " * 2000, every=0.05))

    # Feeds: every real page appears in two feeds, once with tracking parameters.
    all_paths = [*page_paths, site.original, site.near_copy, site.doubled, *site.broken_pages]
    for i in range(24):
        chosen = [all_paths[(i + k) % len(all_paths)] for k in range(3)]
        items = []
        for k, path in enumerate(chosen):
            link = url(path) + (f"?utm_source=feed{i}&utm_medium=rss" if (i + k) % 2 else "")
            items.append((f"feed{i}-item{k}", link, f"Story {path}"))
        path = f"/feeds/{i}.xml"
        site.serve_feed(path, items)
        site.feeds.append(url(path))
        site.good_feeds.append(url(path))
    for path, route in {
        "/feeds/error.xml": respond(500, b"oops", "text/plain"),
        "/feeds/html.xml": respond(200, b"<html><body>Not a feed</body></html>", "text/html"),
        "/feeds/garbage.xml": respond(200, b"\x00\x01garbage{{{", "application/xml"),
        "/feeds/gone.xml": respond(410, b"", "text/plain"),
    }.items():
        server.route(path, route)
        site.feeds.append(url(path))
        site.broken_feeds.append(url(path))
    return site
