"""Hostile input: one bad feed, entry or page only ever fails itself; what is stored is valid
text; nothing printed carries a terminal escape; the extractor returns for any markup.

The feed cases run through the real CLI against a real server on 127.0.0.1, each hostile
feed beside good ones, on both engines; the parser and extractor cases are pure."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ingest.cli import main
from ingest.errors import FeedParseError
from ingest.extract.article import extract_article
from ingest.extract.clean import clean_blocks, clean_text
from ingest.feeds.opml import MAX_FOLDERS, export, subscriptions
from ingest.feeds.parse import parse_feed
from ingest.text import one_line, printable, storable
from ingest.types import Block, BlockKind, Subscription
from storage.engine import create_store_engine
from storage.models import Article, Entry, Feed
from tests.helpers.feeds import rss
from tests.helpers.httpserver import TestServer, redirect, respond
from tests.helpers.site import article_page
from tests.helpers.workers import settings_env, subscribe

URL = "http://feeds.example/feed"
JSON_FEED = "https://jsonfeed.org/version/1.1"
WORDS = "A sentence of an article with enough words in it to be kept as its text. "


def json_feed(items: list[dict[str, object]]) -> bytes:
    return json.dumps({"version": JSON_FEED, "title": "J", "items": items}).encode()


def raw_json_feed(items: str) -> bytes:
    return f'{{"version": "{JSON_FEED}", "items": [{items}]}}'.encode()


@pytest.mark.parametrize(
    ("text", "stored", "line", "shown"),
    [
        ("plain", "plain", "plain", "plain"),
        ("a\x00b", "ab", "ab", "ab"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate", "lone \ufffd surrogate", None),
        ("red \x1b[31mtext\x1b[0m", None, "red text", "red text"),
        ("title \x1b]0;owned\x07!", None, "title !", "title !"),
        ("two\nlines\tand\x07bell", None, "two lines and bell", "two\nlines\tandbell"),
        ("c1 \x9b2J csi", None, "c1 csi", "c1  csi"),
    ],
)
def test_text_is_made_storable_and_printable(
    text: str, stored: str | None, line: str, shown: str | None
) -> None:
    assert "\x00" not in storable(text)
    storable(text).encode("utf-8")  # no lone surrogate is left
    if stored is not None:
        assert storable(text) == stored
    assert one_line(text) == line
    if shown is not None:
        assert printable(text) == shown
    assert "\x1b" not in printable(text) and "\x9b" not in printable(text)


def _valid(value: str | None) -> None:
    if value is not None:
        assert "\x00" not in value
        value.encode("utf-8")


@pytest.mark.parametrize(
    ("body", "published"),
    [
        (json_feed([{"id": "1", "date_published": "9999-12-31T23:59:59-01:00"}]), None),
        (json_feed([{"id": "1", "date_published": "0001-01-01T00:00:00+01:00"}]), None),
        (json_feed([{"id": "1", "date_published": "Sat, 28 Nov 2026 10:00:00 GMT"}]), "2026-11-28"),
        (json_feed([{"id": "1", "date_published": "2026-11-28T10:00:00+02:00"}]), "2026-11-28"),
        (json_feed([{"id": "1", "date_modified": "yesterday"}]), None),
        (raw_json_feed('{"id": ' + "9" * 5000 + "}"), None),
        (raw_json_feed('{"id": "x\\ud800\\u0000", "title": "T\\udc00\\u0000\\u001b[2J"}'), None),
        (rss([("g\x00", "http://feeds.example/a\x00", "Ti\x00tle\x1b[31m")]), "2026-11-28"),
    ],
)
def test_a_hostile_entry_is_kept_with_storable_fields(body: bytes, published: str | None) -> None:
    (entry,) = parse_feed(body, URL).entries
    for value in (entry.guid, entry.link, entry.title, entry.author, entry.content):
        _valid(value)
    assert "\x1b" not in (entry.title or "")
    assert (entry.published.date().isoformat() if entry.published else None) == published


def test_json_nested_too_deep_is_a_parse_error_not_a_crash() -> None:
    body = raw_json_feed("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FeedParseError, match="nested too deeply"):
        parse_feed(body, URL)


def test_an_html_page_whose_feed_link_is_malformed_is_reported_as_not_a_feed() -> None:
    page = b'<html><head><link rel="alternate" type="application/rss+xml" href="//[oops">'
    with pytest.raises(FeedParseError, match="links to no feed"):
        parse_feed(page + b"</head><body>x</body></html>", URL)


PARAGRAPH = f"<p>{WORDS * 8}</p>"


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ('<meta property="article:published_time" content="9999-12-31T23:59:59-01:00">', ""),
        (
            '<link rel="canonical" href="http://[oops/x"><meta property="og:image" '
            'content="//[::1/x.jpg">',
            "",
        ),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H\\u0000",'
            ' "datePublished": '
            + "9" * 5000
            + ', "author": {"name": "A\\ud800\\u001b[2J"}}</script>',
            "",
        ),
        ("<title>Ti\x00tle \x1b]0;owned\x07</title>", "\x00"),
    ],
)
def test_the_extractor_returns_storable_metadata_for_hostile_declarations(
    head: str, body: str
) -> None:
    page = f"<html><head>{head}</head><body><article>{PARAGRAPH}{body}{PARAGRAPH}</article>"
    article = extract_article(page.encode("utf-8", "surrogatepass"), "http://site.example/a")
    assert article.word_count > 100
    for value in (
        article.title,
        article.author,
        article.canonical_url,
        article.lead_image,
        article.text,
        article.site_name,
    ):
        _valid(value)
        assert "\x1b" not in (value or "")
    assert article.canonical_url is None or "[" not in article.canonical_url


def test_a_content_type_charset_holding_a_nul_is_ignored() -> None:
    page = f"<html><body><article>{PARAGRAPH}{PARAGRAPH}</article></body></html>".encode()
    article = extract_article(page, "http://x.example/", "text/html; charset=utf\x00-8")
    assert article.word_count > 100


@pytest.mark.parametrize(
    "nesting",
    [
        "<div>" * 100_000 + PARAGRAPH + "</div>" * 100_000,
        "<b>" * 100_000 + PARAGRAPH,
        "<span><div>" * 50_000 + PARAGRAPH,
        # Thousands of paragraphs, each deep down, and a short box that outscores any one
        # of them: finding the node that holds most of them must not walk from each one to
        # the top (paragraphs times depth).
        "<div><p>"
        + ", ".join([WORDS] * 12)
        + "</p></div>"
        + "<div>" * 900
        + "".join(f"<section><div>{PARAGRAPH}</div></section>" for _ in range(6000))
        + "</div>" * 900,
        # Tables nested in each other's cells, each with text: telling which cells hold
        # blocks must not search each cell's whole subtree (cells times depth).
        PARAGRAPH + "<table><tr><td>cell " * 3000,
    ],
    ids=["div", "formatting", "unclosed", "many-deep-paragraphs", "nested-tables"],
)
def test_deep_nesting_is_contained(nesting: str) -> None:
    """It took minutes: the parser's time grows with the square of the depth."""
    started = time.monotonic()
    article = extract_article(f"<html><body>{nesting}</body></html>", "http://x.example/")
    assert time.monotonic() - started < 10
    assert WORDS.strip() in article.text


@pytest.mark.parametrize(
    ("tag", "words"),
    [("p", 12), ("li", 13)],  # (a list item's text starts with "- ")
    ids=["paragraphs", "list-items"],
)
def test_a_book_length_page_is_cleaned_in_time(tag: str, words: int) -> None:
    """Each long block is looked for inside the longer ones (a teaser in its full text),
    and a list's items are joined into one part: with 100,000 blocks, the searches grew
    with the square of their number (27 s), and so did adding each item to its list's
    text."""
    blocks = 100_000
    page = "".join(
        f"<{tag}>Paragraph {i} of the book, where the story takes its {7 * i}th turn.</{tag}>"
        for i in range(blocks)
    )
    started = time.monotonic()
    article = extract_article(f"<html><body>{page}</body></html>", "http://x.example/")
    assert time.monotonic() - started < 10
    assert article.word_count == words * blocks  # each block kept, none a duplicate


def test_a_long_hard_wrapped_plain_text_body_is_cleaned_in_time() -> None:
    """A hard-wrapped paragraph's lines are joined: adding each line to the paragraph's
    text so far copied it, and 100,000 lines (5 MB) took two minutes."""
    lines = 100_000
    body = "\n".join(f"line {i} of a hard-wrapped paragraph that goes on" for i in range(lines))
    started = time.monotonic()
    cleaned = clean_text(body)
    assert time.monotonic() - started < 10
    assert cleaned.text == body.replace("\n", " ")  # one paragraph, each line in it


def test_a_long_run_of_title_shaped_lines_at_the_end_is_judged_in_time() -> None:
    """The lines that end an article are judged as runs, each the tail from some line on:
    collecting each run's words anew cost the square of the tail (8,000 lines took 28 s)."""
    article = [
        Block(f"Paragraph {i} says the council approved lanes for the street and residents")
        for i in range(20)
    ]
    # Title-shaped, and in the article's words: no run of them is other pages' titles.
    tail = [Block(f"Council Approved Lanes Street Parking Residents {i}") for i in range(50_000)]
    started = time.monotonic()
    cleaned = clean_blocks(article + tail)
    assert time.monotonic() - started < 10
    assert len(cleaned.blocks) == len(article) + len(tail)


def test_many_lists_each_introduced_by_a_line_are_judged_in_time() -> None:
    """A list that a line of the article introduces stays when the article goes on after
    it: looking for prose after each such line read the rest of the article each time
    (20,000 lists took 53 s)."""
    blocks: list[Block] = []
    for i in range(20_000):
        blocks.append(Block(f"Here are the programs on offer in term {i}:"))
        blocks.append(Block(f"Program {i} Title Here", BlockKind.LIST_ITEM))
    started = time.monotonic()
    cleaned = clean_blocks(blocks)
    assert time.monotonic() - started < 10
    assert len(cleaned.blocks) == len(blocks)  # none of them another page's title: all kept


# Through the CLI: each hostile feed is served beside good ones.

HOSTILE_FEEDS: dict[str, bytes] = {
    "/date-9999.json": json_feed(
        [{"id": "1", "url": "/p/1", "date_published": "9999-12-31T23:59:59-01:00"}]
    ),
    "/date-0001.json": json_feed(
        [{"id": "2", "url": "/p/2", "date_published": "0001-01-01T00:00:00+01:00"}]
    ),
    "/date-rfc822.json": json_feed(
        [{"id": "3", "url": "/p/3", "date_published": "Sat, 28 Nov 2026 10:00:00 GMT"}]
    ),
    "/long-id.json": raw_json_feed('{"id": ' + "7" * 5000 + ', "url": "/p/4"}'),
    "/deep.json": raw_json_feed("[" * 100_000 + "]" * 100_000),
    "/surrogates.json": raw_json_feed(
        '{"id": "s\\ud800", "title": "T\\udc00\\u0000", "url": "/p/5"}'
    ),
    "/nul.xml": rss([("nul\x00guid", "/p/6", "NUL\x00title")]),
}
ERRORS = {
    "/deep.json": "nested too deeply",
    "/redirect-bad-ipv6": "redirect to an invalid URL",
    "/redirect-not-an-ip": "redirect to an invalid URL",
}


@pytest.fixture
def hostile_site() -> Iterator[TestServer]:
    server = TestServer()
    for n in range(1, 7):
        paragraphs = [f"Story {n}: {WORDS * 6}"] * 4
        server.route(f"/p/{n}", respond(200, article_page(f"Story {n}", paragraphs), "text/html"))
    for n in range(3):
        paragraphs = [f"Good story {n}: {WORDS * 6}"] * 4
        server.route(f"/good/{n}", respond(200, article_page(f"Good {n}", paragraphs), "text/html"))
        server.route(
            f"/good-{n}.xml",
            respond(
                200,
                rss([(f"good-{n}", server.url(f"/good/{n}"), f"Good {n}")]),
                "application/rss+xml",
            ),
        )
    for path, body in HOSTILE_FEEDS.items():
        kind = "application/feed+json" if path.endswith(".json") else "application/rss+xml"
        server.route(path, respond(200, body, kind))
    server.route("/redirect-bad-ipv6", redirect(302, "http://[oops"))
    server.route("/redirect-not-an-ip", redirect(302, "http://[not-an-ip]/"))
    yield server
    server.close()


def _feeds(server: TestServer) -> list[str]:
    hostile = [*HOSTILE_FEEDS, *ERRORS.keys() - HOSTILE_FEEDS.keys()]
    return [server.url(f"/good-{n}.xml") for n in range(3)] + [server.url(p) for p in hostile]


@pytest.mark.slow
def test_one_hostile_feed_never_stops_the_backfill(
    hostile_site: TestServer, database_url: str
) -> None:
    env = settings_env(database_url)
    result = CliRunner().invoke(main, ["backfill", *_feeds(hostile_site)], env=env)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        feeds = {row.url: row for row in conn.execute(select(Feed))}
        articles = conn.execute(select(Article.title, Article.text)).all()
        entries = conn.execute(select(Entry.guid, Entry.title, Entry.article_id)).all()
    engine.dispose()
    titles = {title for title, _ in articles}
    assert {f"Good {n}" for n in range(3)} <= titles
    assert {f"Story {n}" for n in range(1, 7)} <= titles  # the hostile entries' pages too
    for path in HOSTILE_FEEDS.keys() | ERRORS.keys():
        feed = feeds[hostile_site.url(path)]
        if path in ERRORS:
            assert ERRORS[path] in (feed.last_error or ""), path
            assert feed.error_count == 1
        else:
            assert feed.last_error is None and feed.last_success_at is not None, path
    for guid, title, article_id in entries:
        _valid(guid)
        _valid(title)
        assert article_id is not None


@pytest.mark.slow
def test_a_hostile_feed_is_recorded_and_the_daemon_goes_on_storing(
    hostile_site: TestServer, database_url: str
) -> None:
    env = settings_env(database_url)
    runner = CliRunner()
    assert runner.invoke(main, ["feeds", "add", *_feeds(hostile_site)], env=env).exit_code == 0
    result = runner.invoke(main, ["run", "--ticks", "1", "--quiet"], env=env)
    assert result.exit_code == 0, result.output
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        titles = set(conn.execute(select(Article.title)).scalars())
        deep = conn.execute(select(Feed).where(Feed.url == hostile_site.url("/deep.json"))).one()
    engine.dispose()
    assert {f"Good {n}" for n in range(3)} | {f"Story {n}" for n in range(1, 7)} <= titles
    assert "nested too deeply" in (deep.last_error or "")
    assert deep.next_check_at is not None  # checked, saved, backing off: not due every tick


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://ex.com/feed",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "",
        "http://",
        "notaurl",
        "http://[::1",
    ],
)
def test_feeds_add_refuses_what_cannot_be_fetched_and_changes_nothing(
    bad: str, tmp_path: Path
) -> None:
    env = {"INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], env=env)
    result = runner.invoke(main, ["feeds", "add", "https://ok.example/feed", bad], env=env)
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert "Traceback" not in result.output
    backfill = runner.invoke(main, ["backfill", bad], env=env)
    assert backfill.exit_code != 0 and "nothing was changed" in backfill.output
    listed = runner.invoke(main, ["feeds", "export"], env=env)
    assert "ok.example" not in listed.output


def test_feeds_import_skips_what_cannot_be_fetched(tmp_path: Path) -> None:
    env = {"INGEST_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline xmlUrl="https://ok.example/feed"/>'
        '<outline xmlUrl="file:///etc/passwd"/><outline xmlUrl="javascript:x"/></body></opml>'
    )
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], env=env)
    result = runner.invoke(main, ["feeds", "import", str(opml)], env=env)
    assert result.exit_code == 0 and "1 feed(s) subscribed" in result.output
    exported = runner.invoke(main, ["feeds", "export"], env=env).output
    assert "ok.example" in exported and "passwd" not in exported


def test_printed_titles_carry_no_terminal_escapes_and_exported_opml_is_xml(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Owned \x1b]0;pwned\x07\x1b[2J</title></head><body><article>"
        f"{PARAGRAPH}<p>Body \x1b[31mred</p>{PARAGRAPH}</article></body></html>"
    )
    shown = CliRunner().invoke(main, ["extract", str(page), "--url", "http://x.example/a"])
    assert shown.exit_code == 0
    assert "\x1b" not in shown.output and "\x07" not in shown.output
    assert "Owned" in shown.output

    database = f"sqlite:///{tmp_path / 's.db'}"
    runner = CliRunner()
    runner.invoke(main, ["db", "upgrade"], env={"INGEST_DATABASE_URL": database})
    engine = create_store_engine(database)
    with engine.begin() as conn:  # a title stored before titles were cleaned at the parser
        conn.execute(
            Feed.__table__.insert().values(url="https://ok.example/f", title="A\x01\x1b[2Jb")
        )
    engine.dispose()
    exported = runner.invoke(main, ["feeds", "export"], env={"INGEST_DATABASE_URL": database})
    root = ET.fromstring(exported.output)  # well-formed
    assert [o.get("text") for o in root.iter("outline")] == ["A b"]


@pytest.mark.slow
def test_a_subscribed_url_that_cannot_be_parsed_fails_alone(
    hostile_site: TestServer, database_url: str
) -> None:
    """Subscribed before `feeds add` refused such URLs (or written by another tool)."""
    subscribe(database_url, ["http://[::1", "http://[oops/feed", hostile_site.url("/good-0.xml")])
    result = CliRunner().invoke(main, ["backfill"], env=settings_env(database_url))
    assert result.exit_code == 0, result.output
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        feeds = {row.url: row for row in conn.execute(select(Feed))}
        titles = set(conn.execute(select(Article.title)).scalars())
    engine.dispose()
    assert "Good 0" in titles
    for bad in ("http://[::1", "http://[oops/feed"):
        assert "invalid URL" in (feeds[bad].last_error or ""), feeds[bad].last_error


@pytest.mark.parametrize("odd", ["\x00", "\ud800", "\udfff tail"])
def test_text_given_as_str_with_unstorable_characters_is_extracted_storable(odd: str) -> None:
    page = f"<html><head><title>T{odd}itle</title></head><body><article>{PARAGRAPH}"
    page += f"<p>{WORDS * 4}{odd}{WORDS * 4}</p>{PARAGRAPH}</article></body></html>"
    article = extract_article(page, "http://site.example/a")
    assert article.word_count > 100
    for value in (article.title, article.text):
        _valid(value)


def test_folders_nested_past_the_recursion_limit_import_and_export() -> None:
    depth = 5000
    document = (
        "<opml><body>"
        + "<outline text='f'>" * depth
        + "<outline xmlUrl='http://127.0.0.1/feed' text='Deep'/>"
        + "</outline>" * depth
        + "<outline xmlUrl='http://127.0.0.1/top' text='Top'/></body></opml>"
    ).encode()
    deep, top = subscriptions(document)
    assert (deep.url, deep.title, top.url, top.category) == (
        "http://127.0.0.1/feed",
        "Deep",
        "http://127.0.0.1/top",
        None,
    )
    assert deep.category == "/".join(["f"] * MAX_FOLDERS)
    exported = export([Subscription("http://127.0.0.1/feed", "Deep", "/".join(["f"] * depth))])
    assert [s.url for s in subscriptions(exported.encode())] == ["http://127.0.0.1/feed"]


@pytest.mark.parametrize("field", ["author", "headline", "image", "datePublished", "publisher"])
def test_json_ld_nested_past_the_recursion_limit_is_read_without_raising(field: str) -> None:
    nested = "[" * 900 + '"Jane Roe"' + "]" * 900
    page = (
        f'<html><head><script type="application/ld+json">{{"@type": "Article", "{field}": '
        f"{nested}}}</script></head><body><h1>Die Brücke</h1><p>A paragraph.</p></body></html>"
    )
    article = extract_article(page)
    assert article.text == "A paragraph."
