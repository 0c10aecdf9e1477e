"""Any bytes from the network: the extractor returns an article, never raises, and does not
hang, on real pages mutated the way broken and hostile pages are (property-based)."""

from __future__ import annotations

import gzip
import time
from datetime import UTC
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.extract import Article, extract_article
from tests.helpers.records import assert_storable

GOLDEN = Path(__file__).parent / "golden" / "extract"
BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
TIME_LIMIT = 5.0  # seconds for one page: far above any real page's few milliseconds


def _real_pages() -> list[bytes]:
    pages = [path.read_bytes() for path in sorted(GOLDEN.glob("*.html"))]
    for folder in ("aeb", "wcxb-dev"):  # a few real pages of each set, when they are here
        for path in sorted((BENCH / folder / "html").glob("*.html.gz"))[:6]:
            pages.append(gzip.decompress(path.read_bytes()))
    return pages


PAGES = _real_pages()
DECLARATIONS = [
    b'<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H\\ud800\\u0000",'
    b' "datePublished": ' + b"9" * 5000 + b', "author": {"name": "\\u001b]0;x\\u0007A"}}</script>',
    b'<meta property="article:published_time" content="9999-12-31T23:59:59-01:00">',
    b'<meta property="article:published_time" content="0001-01-01T00:00:00+01:00">',
    b'<link rel="canonical" href="http://[oops/x"><meta property="og:image" content="//[::1">',
    b"<title>T\x1b[2J\x00itle &#0; &#xD800;</title>",
    b'<meta name="author" content="\xed\xa0\x80 \x00 \x1b[31m">',
]
ODD_VALUES = ["a\nb", 'x"y', "it's", "back\\slash", "[br]ackets{}", "\x00nul", "<tag>", "\u2028"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    page = draw(st.sampled_from(PAGES))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                ["attribute", "cut", "nul", "utf8", "nesting", "text", "tags", "declaration"]
            )
        )
        at = draw(st.integers(0, max(0, len(page) - 1)))
        if kind == "attribute":  # odd attribute values on an element near `at`
            tag = page.find(b"<div", at)
            tag = tag if tag >= 0 else page.find(b"<p", at)
            if tag >= 0:
                value = draw(st.sampled_from(ODD_VALUES)).encode("utf-8")
                name = draw(st.sampled_from([b"class", b"id", b"style", b"href", b"datetime"]))
                insert = tag + (4 if page[tag : tag + 4] == b"<div" else 2)
                page = page[:insert] + b" " + name + b'="' + value + b'"' + page[insert:]
        elif kind == "cut":  # unclosed tags: the page ends anywhere
            page = page[:at]
        elif kind == "nul":
            page = page[:at] + b"\x00" * draw(st.integers(1, 50)) + page[at:]
        elif kind == "utf8":  # invalid UTF-8
            page = (
                page[:at]
                + draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"\xed\xa0\x80"]))
                + page[at:]
            )
        elif kind == "nesting":  # deep nesting
            depth = draw(st.integers(100, 3000))
            tag = draw(st.sampled_from([b"<div>", b"<span>", b"<li>", b"<table><tr><td>"]))
            page = page[:at] + tag * depth + page[at:]
        elif kind == "text":  # a huge text node
            page = page[:at] + b"word " * draw(st.integers(10_000, 200_000)) + page[at:]
        elif kind == "declaration":  # hostile metadata in the head
            head = page.find(b"<head>")
            at = head + 6 if head >= 0 else 0
            page = page[:at] + draw(st.sampled_from(DECLARATIONS)) + page[at:]
        else:  # closing tags dropped or doubled
            page = page.replace(b"</div>", draw(st.sampled_from([b"", b"</div></div>"])))
    return page


@settings(
    max_examples=150,
    deadline=None,  # the time limit is asserted below, with room for a loaded machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(
    page=mutated(),
    content_type=st.sampled_from([None, "text/html; charset=\x00", "text/html; charset=latin-1"]),
)
def test_any_mutated_page_gives_an_article_in_time(page: bytes, content_type: str | None) -> None:
    started = time.monotonic()
    article = extract_article(page, "https://example.com/a/b", content_type)
    assert isinstance(article, Article)
    assert isinstance(article.text, str) and isinstance(article.html, str)
    assert_storable(
        article.title,
        article.author,
        article.text,
        article.canonical_url,
        article.lead_image,
        article.site_name,
        article.language,
    )
    for line in (article.title, article.author, article.site_name):
        assert line is None or "\x1b" not in line
    if article.published is not None:
        article.published.astimezone(UTC)  # within the ends of time
    assert time.monotonic() - started < TIME_LIMIT


def test_binary_data_and_nothing_give_an_empty_article() -> None:
    for data in (
        b"",
        b"\x00" * 1000,
        bytes(range(256)) * 100,
        "\ud800".encode("utf-8", "surrogatepass"),
    ):
        article = extract_article(data)
        assert article.text == "" or isinstance(article.text, str)
