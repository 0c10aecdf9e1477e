"""Reading the store: `ingest articles`, `show`, `search`, `copies` and `stats`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click
from rich.table import Table

from ingest.cli.app import open_store
from ingest.cli.feeds import find_feed
from ingest.cli.output import add_row, emit, format_option, iso, print_table
from ingest.text import one_line, printable
from storage.reads import ArticleDetail, ArticleFilter, ArticleSummary
from storage.store import Store

MAX_ID = 2**63 - 1
ARTICLE_ID = click.IntRange(1, MAX_ID)
LIMIT = click.IntRange(1, 1_000_000)
TABLE_COLUMNS = {"id": "id", "published": "published", "title": "title", "URL": "url"}


def _filters(func: Callable[..., Any]) -> Callable[..., Any]:
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.option("--feed", "feed_ref", default=None, help="Only this feed's (URL or id)."),
        click.option(
            "--since",
            type=click.DateTime(),
            default=None,
            help="Published (else first stored) on or after this date, UTC.",
        ),
        click.option(
            "--until", type=click.DateTime(), default=None, help="... and before this date, UTC."
        ),
        click.option(
            "--with-copies",
            is_flag=True,
            help="List copies too (near or exact copies of another article, stored as "
            "articles of their own); by default only each story's canonical article.",
        ),
        click.option("--limit", type=LIMIT, default=50, show_default=True, help="Most to list."),
        format_option(),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _filter(
    store: Store,
    feed_ref: str | None,
    since: datetime | None,
    until: datetime | None,
    with_copies: bool,
    limit: int,
) -> ArticleFilter:
    feed_id = find_feed(store, feed_ref)[0] if feed_ref is not None else None
    return ArticleFilter(feed_id, _utc(since), _utc(until), with_copies, limit)


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def summary_record(article: ArticleSummary) -> dict[str, Any]:
    """One article as `articles` and `search` print it for scripts (see the README)."""
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "host": article.host,
        "author": article.author,
        "published": iso(article.published_at),
        "first_seen": iso(article.first_seen_at),
        "language": article.language,
        "words": article.words,
        "copy_of": article.copy_of,
        "wall": article.wall,
        "text_source": article.text_source,
    }


def _print_articles(found: list[ArticleSummary], output_format: str, none: str) -> None:
    if output_format == "table":
        if not found:
            click.echo(none)
            return
        rows = [
            summary_record(a) | {"published": a.published_at, "title": a.title or "(untitled)"}
            for a in found
        ]
        emit(rows, "table", TABLE_COLUMNS)
    else:
        emit([summary_record(a) for a in found], output_format)


@click.command()
@_filters
def articles(output_format: str, feed_ref: str | None, **filters: Any) -> None:
    """List articles, newest first."""
    store = open_store()
    try:
        found = store.articles(_filter(store, feed_ref, **filters))
    finally:
        store.close()
    _print_articles(found, output_format, "No articles.")


@click.command()
@click.argument("words")
@_filters
def search(words: str, output_format: str, feed_ref: str | None, **filters: Any) -> None:
    """Full-text search over article titles and text: best matches first."""
    store = open_store()
    try:
        found = store.search(words, _filter(store, feed_ref, **filters))
    finally:
        store.close()
    _print_articles(found, output_format, "No matches.")


@click.command()
@click.argument("article_id", type=ARTICLE_ID)
@format_option("text", ("text", "json", "html"))
def show(article_id: int, output_format: str) -> None:
    """One article: metadata, text, URLs, copies, feeds, and the blocks cleaning removed
    with their reasons (`--format html`: its clean HTML)."""
    store = open_store()
    try:
        detail = store.article(article_id)
    finally:
        store.close()
    if detail is None:
        raise click.ClickException(f"no article {article_id}: `ingest articles` lists them")
    if output_format == "html":
        click.echo(detail.html)
    elif output_format == "json":
        click.echo(json.dumps(detail_record(detail), ensure_ascii=False, indent=2))
    else:
        _print_detail(detail)


def detail_record(detail: ArticleDetail) -> dict[str, Any]:
    return summary_record(detail.summary) | {
        "site_name": detail.site_name,
        "lead_image": detail.lead_image,
        "text": detail.text,
        "html": detail.html,
        "urls": detail.urls,
        "copies": detail.copies,
        "feeds": [{"id": i, "url": u} for i, u in detail.feeds],
        "removed": [
            {"position": r.position, "reason": r.reason, "text": r.text} for r in detail.removed
        ],
    }


def _print_detail(detail: ArticleDetail) -> None:
    record = detail_record(detail)
    for key in ("id", "title", "url", "author", "published", "first_seen", "language"):
        click.echo(printable(f"{key + ':':<13}{record[key] if record[key] is not None else '-'}"))
    for key in ("words", "copy_of", "wall", "text_source", "site_name"):
        if record[key] is not None:
            click.echo(printable(f"{key + ':':<13}{record[key]}"))
    click.echo(f"\n{printable(detail.text)}\n")
    for url in detail.urls:
        click.echo(printable(f"url:         {url}"))
    for feed_id, url in detail.feeds:
        click.echo(printable(f"feed:        {feed_id} {url}"))
    if detail.copies:
        click.echo(f"copies:      {' '.join(map(str, detail.copies))}")
    click.echo(f"removed:     {len(detail.removed)} block(s)")
    for removed in detail.removed:
        excerpt = removed.text if len(removed.text) <= 100 else removed.text[:99] + "…"
        click.echo(printable(f"  [{removed.reason}] {one_line(excerpt)}"))


@click.command()
@click.argument("article_id", type=ARTICLE_ID, required=False)
def copies(article_id: int | None) -> None:
    """Stories stored more than once (an article and its copies, most copies first), or
    the cluster of one article."""
    store = open_store()
    try:
        if article_id is None:
            table = Table("id", "copies", "title", "URL")
            for root, n in store.clusters():
                add_row(table, str(root.id), str(n), root.title or "", root.url)
        else:
            table = Table("id", "copy of", "title", "URL")
            for copy in store.copies_of(article_id):
                add_row(
                    table, str(copy.id), str(copy.duplicate_of or "-"), copy.title or "", copy.url
                )
    finally:
        store.close()
    print_table(table)


@click.command()
@format_option("table", ("table", "json"))
def stats(output_format: str) -> None:
    """Feeds, articles, copies, removed blocks by reason, fetch errors by kind."""
    store = open_store()
    try:
        summary = store.stats()
    finally:
        store.close()
    if output_format == "json":
        click.echo(json.dumps(summary, indent=2))
        return
    table = Table("", "", "count")
    for section, values in summary.items():
        for name, count in sorted(values.items()):
            add_row(table, section, str(name), str(count))
    print_table(table)
