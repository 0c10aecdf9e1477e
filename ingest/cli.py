"""The `ingest` command line."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ingest.config import Settings, field_type, load_settings
from ingest.errors import ConfigError, FetchError, StoreError
from ingest.extract.article import Article, extract_article
from ingest.feeds import opml
from ingest.http.fetch import Fetcher
from ingest.http.pages import PageFetcher
from ingest.text import one_line, printable
from ingest.urls import url_problem
from ingest.worker.batch import run_backfill, run_reprocess
from ingest.worker.daemon import Daemon
from ingest.worker.pipeline import Count, RunStats
from storage.schema import head_revision
from storage.store import Store


def add_row(table: Table, *cells: str) -> None:
    """A row of plain text: no cell is read as rich markup (a title holding `[link=...]`
    stays text), and escape sequences from pages and feeds never reach the terminal."""
    table.add_row(*(Text(printable(cell)) for cell in cells))


def print_table(table: Table) -> None:
    """Print to a terminal at its width; into a pipe or file, never cut or wrap a cell."""
    console = Console()
    if not console.is_terminal:
        console = Console(width=100_000)
    console.print(table)


def _setting_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """One `--flag` per setting, so every setting can be given on the command line."""
    for f in reversed(fields(Settings)):
        kind = field_type(f.name)
        flag = "--" + f.name.replace("_", "-")
        if kind is bool:
            decl = f"{flag}/--no-{f.name.replace('_', '-')}"
            func = click.option(decl, f.name, default=None, help=Settings.help_for(f.name))(func)
        else:
            func = click.option(
                flag, f.name, type=kind, default=None, help=Settings.help_for(f.name)
            )(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML config file (default: $INGEST_CONFIG).",
)
@_setting_options
@click.pass_context
def main(ctx: click.Context, /, config_path: str | None, **overrides: Any) -> None:
    """Turn news feeds into a clean, deduplicated article store you query with SQL."""
    try:
        ctx.obj = load_settings(config_path, overrides=overrides)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


def _settings() -> Settings:
    settings = click.get_current_context().find_object(Settings)
    assert settings is not None
    return settings


def open_store(check: bool = True) -> Store:
    """The store; with `check`, stop unless its schema matches this code."""
    store = Store(_settings().database_url)
    if check:
        try:
            store.check_schema()
        except StoreError as exc:
            store.close()
            raise click.ClickException(str(exc)) from None
    return store


@main.group()
def db() -> None:
    """Create or upgrade the store's schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    store = open_store(check=False)
    before = store.revision()
    store.upgrade()
    after = store.revision()
    store.close()
    if before == after:
        click.echo(f"Store already at schema revision {after}.")
    else:
        click.echo(f"Store upgraded from {before or 'empty'} to schema revision {after}.")


@db.command("current")
def db_current() -> None:
    """Show the store's schema revision and the one this code needs."""
    store = open_store(check=False)
    current = store.revision()
    store.close()
    head = head_revision()
    state = "up to date" if current == head else "run `ingest db upgrade`"
    click.echo(f"store: {current or 'not set up'}; code: {head} ({state})")


@main.group()
def feeds() -> None:
    """Manage subscriptions."""


@feeds.command("add")
@click.argument("urls", nargs=-1, required=True)
def feeds_add(urls: tuple[str, ...]) -> None:
    """Subscribe to one or more feed URLs."""
    _refuse_bad_urls(urls)
    store = open_store()
    store.add_feeds(urls, poll_interval=_settings().default_poll_interval)
    store.close()
    click.echo(f"{len(set(urls))} feed(s) subscribed.")


@feeds.command("remove")
@click.argument("url")
def feeds_remove(url: str) -> None:
    """Unsubscribe from a feed (its articles stay)."""
    store = open_store()
    removed = store.remove_feed(url)
    store.close()
    if not removed:
        raise click.ClickException(f"No feed with URL {url}.")
    click.echo(f"Removed {url}.")


@feeds.command("list")
def feeds_list() -> None:
    """Subscriptions with their status."""
    store = open_store()
    rows = store.list_feeds()
    store.close()
    table = Table("URL", "last success", "errors", "last error", "next check")
    for feed in rows:
        add_row(
            table,
            feed.url,
            _when(feed.last_success_at),
            str(feed.error_count),
            ("DISABLED: " + (feed.disabled_reason or "") if feed.disabled else feed.last_error)
            or "",
            _when(feed.next_check_at),
        )
    print_table(table)


@main.command()
@click.argument("words")
@click.option("--limit", default=20, show_default=True, help="Most matches to show.")
def search(words: str, limit: int) -> None:
    """Full-text search over article titles and text."""
    store = open_store()
    hits = store.search(words, limit)
    store.close()
    if not hits:
        click.echo("No matches.")
        return
    table = Table("title", "URL", "published")
    for hit in hits:
        add_row(table, hit.title or "(untitled)", hit.url, _when(hit.published_at))
    print_table(table)


@feeds.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
def feeds_import(opml_file: str) -> None:
    """Subscribe to every feed of an OPML file."""
    try:
        urls = opml.feed_urls(Path(opml_file).read_bytes())
    except opml.OpmlError as exc:
        raise click.ClickException(str(exc)) from None
    urls = _without_bad_urls(urls)
    store = open_store()
    store.add_feeds(urls, poll_interval=_settings().default_poll_interval)
    store.close()
    click.echo(f"{len(urls)} feed(s) subscribed from {opml_file}.")


@feeds.command("export")
def feeds_export() -> None:
    """Print the subscriptions as OPML."""
    store = open_store()
    rows = store.list_feeds()
    store.close()
    click.echo(opml.export([(f.url, f.title) for f in rows]), nl=False)


def _refuse_bad_urls(urls: Iterable[str]) -> None:
    """Refuse the command, before it changes anything, when a URL cannot be fetched."""
    for url in urls:
        problem = url_problem(url)
        if problem is not None:
            raise click.ClickException(f"{printable(problem)}: nothing was changed.")


def _without_bad_urls(urls: list[str]) -> list[str]:
    """The URLs that can be fetched; each other one is named and skipped."""
    kept = []
    for url in urls:
        problem = url_problem(url)
        if problem is None:
            kept.append(url)
        else:
            click.echo(f"skipped: {printable(problem)}", err=True)
    return kept


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@main.command()
@click.option("--feeds", "feeds_flag", is_flag=True, help="The arguments are feed URLs (default).")
@click.argument("feed_urls", nargs=-1)
@click.option(
    "--opml",
    "opml_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Process (and subscribe to) the feeds of an OPML file.",
)
@click.option(
    "--urls",
    "urls_file",
    type=click.Path(exists=True, dir_okay=False),
    help="A file of article URLs, one per line, to ingest directly.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log one line per fetch.")
def backfill(
    feeds_flag: bool,
    feed_urls: tuple[str, ...],
    opml_file: str | None,
    urls_file: str | None,
    verbose: bool,
) -> None:
    """Process feeds now, ignoring schedules (default: every subscribed feed).

    `ingest backfill --feeds URL...` subscribes to the feeds and processes them."""
    _configure_logging(verbose)
    settings = _settings()
    store = open_store()
    _refuse_bad_urls(feed_urls)
    wanted = list(feed_urls)
    if opml_file:
        try:
            wanted += _without_bad_urls(opml.feed_urls(Path(opml_file).read_bytes()))
        except opml.OpmlError as exc:
            raise click.ClickException(str(exc)) from None
    page_urls = []
    if urls_file:
        lines = Path(urls_file).read_text(encoding="utf-8", errors="replace").splitlines()
        # Blank lines and `#` comments are not URLs; anything else must be one.
        page_urls = [u.strip() for u in lines if u.strip() and not u.lstrip().startswith("#")]
        _refuse_bad_urls(page_urls)
    if wanted:
        store.add_feeds(wanted, poll_interval=settings.default_poll_interval)
    ids = store.feed_ids(wanted or None) if wanted or not page_urls else []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        task = progress.add_task("feeds", total=len(ids) + len(page_urls))

        def advance(stats: RunStats) -> None:
            progress.update(task, advance=1, description=_progress_line(stats))

        try:
            stats = asyncio.run(run_backfill(settings, store, ids, page_urls, advance))
        except StoreError as exc:
            store.close()
            raise click.ClickException(
                f"the store failed mid-run ({_short(exc)}); what was done is kept: run the "
                "same command again to finish"
            ) from None
    store.close()
    _print_summary(stats)
    counts = stats.counts
    if counts[Count.FEEDS] - counts[Count.FEEDS_FAILED] <= 0 and not counts[Count.PAGES]:
        raise click.ClickException("nothing could be fetched")


def _short(error: Exception, limit: int = 240) -> str:
    """An error in one line a user can read (a driver's message runs to many)."""
    text = one_line(str(error)).split(" (Background on this error")[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _progress_line(stats: RunStats) -> str:
    c = stats.counts
    return (
        f"feeds {c[Count.FEEDS]} entries {c[Count.ENTRIES]} new {c[Count.NEW]} duplicates "
        f"{c[Count.DUPLICATES]} errors {c[Count.ERRORS]} ({stats.rate:.1f} articles/s)"
    )


def _print_summary(stats: RunStats) -> None:
    table = Table("", "count", title="backfill")
    for name in Count:
        add_row(table, name.value, str(stats.counts[name]))
    print_table(table)
    for error in stats.errors[:20]:
        click.echo(f"error: {printable(error)}", err=True)
    if len(stats.errors) > 20:
        click.echo(f"... and {len(stats.errors) - 20} more errors", err=True)


@main.command()
@click.option("--ticks", type=int, default=None, help="Stop after this many ticks (testing).")
@click.option("-v/-q", "--verbose/--quiet", default=True, help="Log one line per fetch.")
@click.option(
    "--metrics-port",
    type=int,
    default=None,
    help="Serve Prometheus /metrics and /health on this port (also a setting).",
)
def run(ticks: int | None, verbose: bool, metrics_port: int | None) -> None:
    """Run the worker: check due feeds on schedule until SIGTERM/SIGINT."""
    _configure_logging(verbose)
    settings = _settings()
    if metrics_port is not None:
        settings = replace(settings, metrics_port=metrics_port)
    store = open_store()
    try:
        lock = store.hold_daemon_lock()
    except StoreError as exc:
        store.close()
        raise click.ClickException(str(exc)) from None
    try:
        asyncio.run(Daemon(settings, store).run(max_ticks=ticks))
    finally:
        if lock is not None:
            lock.close()
        store.close()


@main.command()
@click.option(
    "--since",
    type=click.DateTime(),
    default=None,
    help="Only articles first seen on or after this date (UTC).",
)
def reprocess(since: datetime | None) -> None:
    """Re-run extraction, cleaning and dedup on the stored raw HTML, without refetching."""
    store = open_store()
    when = since.replace(tzinfo=UTC) if since is not None else None
    result = asyncio.run(run_reprocess(_settings(), store, when))
    store.close()
    for error in result.errors:
        click.echo(f"error: {printable(error)}", err=True)
    click.echo(f"Reprocessed {result.done} article(s); {len(result.errors)} failed.")
    if result.split_articles:
        click.echo(
            f"Split {result.split_entries} stor{'y' if result.split_entries == 1 else 'ies'} "
            f"out of {result.split_articles} article(s) that had taken them in by the old "
            "merge rule: their pages are fetched at their feeds' next check."
        )


@main.command()
def stats() -> None:
    """Feeds, articles, duplicates, removed blocks by reason, fetch errors by kind."""
    store = open_store()
    summary = store.stats()
    store.close()
    table = Table("", "", "count")
    for section, values in summary.items():
        for name, count in sorted(values.items()):
            add_row(table, section, str(name), str(count))
    print_table(table)


@main.command()
@click.argument("article_id", type=int, required=False)
def duplicates(article_id: int | None) -> None:
    """List clusters of copies, or the copies of one article."""
    store = open_store()
    if article_id is None:
        table = Table("id", "copies", "title", "URL")
        for root, n in store.clusters():
            add_row(table, str(root.id), str(n), root.title or "", root.url)
    else:
        table = Table("id", "copy of", "title", "URL")
        for copy in store.copies_of(article_id):
            add_row(table, str(copy.id), str(copy.duplicate_of or "-"), copy.title or "", copy.url)
    store.close()
    print_table(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@main.command()
@click.argument("source")
@click.option(
    "--url",
    "page_url",
    default=None,
    help="The page's address, for its relative links (default: SOURCE when it is a URL).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
def extract(source: str, page_url: str | None, as_json: bool) -> None:
    """Print the article in a saved page (SOURCE is a file) or a live one (SOURCE is a URL),
    and what cleaning removed from it: for checking a page by hand."""
    if source.startswith(("http://", "https://")):
        content, content_type, fetched_url = asyncio.run(_fetch_page(_settings(), source))
        page_url = page_url or fetched_url
    else:
        try:
            content, content_type = Path(source).read_bytes(), None
        except OSError as exc:
            raise click.ClickException(f"cannot read {source}: {exc.strerror}") from None
    article = extract_article(content, page_url, content_type)
    if as_json:
        body = {
            "text": article.text,
            "html": article.html,
            "removed": [{"reason": r.reason, "text": r.text} for r in article.removed],
        }
        click.echo(json.dumps(_metadata(article) | body, ensure_ascii=False, indent=2))
        return
    for name, value in _metadata(article).items():
        click.echo(printable(f"{name + ':':<15}{value if value is not None else '-'}"))
    click.echo(f"\n{printable(article.text)}\n")
    count = len(article.removed)
    click.echo(f"removed: {count} block{'' if count == 1 else 's'}")
    for removed in article.removed:
        excerpt = removed.text if len(removed.text) <= 100 else removed.text[:99] + "…"
        click.echo(f"  [{removed.reason}] {one_line(excerpt)}")


async def _fetch_page(settings: Settings, url: str) -> tuple[bytes, str | None, str]:
    """The page at `url`, fetched as the worker fetches pages (guard, caps, robots.txt)."""
    async with Fetcher(settings) as fetcher:
        try:
            response = await PageFetcher(fetcher).fetch(url)
        except FetchError as exc:
            raise click.ClickException(f"cannot fetch {url} ({exc.kind}): {exc}") from None
    if response.status >= 400:
        raise click.ClickException(f"cannot fetch {url}: HTTP {response.status}")
    return response.content, response.headers.get("content-type"), response.url


def _metadata(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "author": article.author,
        "published": article.published.astimezone(UTC).isoformat() if article.published else None,
        "language": article.language,
        "canonical_url": article.canonical_url,
        "site_name": article.site_name,
        "lead_image": article.lead_image,
        "words": article.word_count,
    }
