"""The commands that do the work: `ingest backfill`, `run`, `reprocess` and `prune`."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from ingest.cli.app import INTERRUPTED, echo_err, open_store, settings, short
from ingest.cli.feeds import read_opml, refuse_bad_urls
from ingest.cli.logs import set_level
from ingest.cli.output import add_row, print_table
from ingest.cli.progress import BackfillProgress
from ingest.errors import StoreError
from ingest.text import printable
from ingest.types import Subscription
from ingest.worker.batch import run_backfill, run_reprocess
from ingest.worker.daemon import Daemon
from ingest.worker.pipeline import Count, RunStats
from ingest.worker.retention import cutoffs_for, prune_store
from storage.retention import Pruned


@click.command()
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
    help="A file of article URLs, one per line (blank lines and # comments skipped).",
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

    `ingest backfill --feeds URL...` subscribes to the feeds and processes them. Ctrl-C
    stops it with the summary of what was done; the same command again does the rest."""
    if not verbose:
        set_level("warning")
    config = settings()
    refuse_bad_urls(feed_urls)  # before anything is read or changed
    wanted: list[Subscription] = [Subscription(url) for url in feed_urls]
    if opml_file:
        wanted += read_opml(opml_file)
    page_urls = _page_urls(urls_file) if urls_file else []
    store = open_store()
    try:
        if wanted:
            store.add_feeds(wanted, poll_interval=config.default_poll_interval)
        urls = [s.url for s in wanted]
        ids = store.feed_ids(urls or None) if urls or not page_urls else []
        with BackfillProgress(len(ids)) as progress:
            stats = asyncio.run(run_backfill(config, store, ids, page_urls, progress))
    except StoreError as exc:
        raise click.ClickException(
            f"the store failed mid-run ({short(exc)}); what was done is kept: run the "
            "same command again to finish"
        ) from None
    finally:
        store.close()
    _print_summary(stats)
    if stats.interrupted:
        echo_err("Interrupted: what was done is kept; run the same command again to finish.")
        raise click.exceptions.Exit(INTERRUPTED)
    counts = stats.counts
    if counts[Count.FEEDS] - counts[Count.FEEDS_FAILED] <= 0 and not counts[Count.PAGES]:
        raise click.ClickException("nothing could be fetched")


def _page_urls(path: str) -> list[str]:
    """The article URLs of a `--urls` file: blank lines and `#` comments skipped; any other
    line must be a URL that can be fetched, or nothing is done."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise click.ClickException(f"cannot read {printable(path)}: {exc.strerror}") from None
    urls = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    refuse_bad_urls(urls)
    return urls


def _print_summary(stats: RunStats) -> None:
    table = Table("", "count", title="backfill")
    for name in Count:
        add_row(table, name.value, str(stats.counts[name]))
    print_table(table)
    for error in stats.errors[:20]:
        echo_err(f"error: {printable(error)}")
    if len(stats.errors) > 20:
        echo_err(f"... and {len(stats.errors) - 20} more errors")


@click.command()
@click.option("--ticks", type=click.IntRange(1), default=None, help="Stop after this many ticks.")
@click.option("-v/-q", "--verbose/--quiet", default=True, help="Log one line per fetch.")
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus /metrics and /health on this port (also a setting).",
)
def run(ticks: int | None, verbose: bool, metrics_port: int | None) -> None:
    """Run the worker: check due feeds on schedule until SIGTERM/SIGINT."""
    if not verbose:
        set_level("warning")
    config = settings()
    if metrics_port is not None:
        config = replace(config, metrics_port=metrics_port)
    store = open_store()
    lock = None
    try:
        lock = store.hold_daemon_lock()
        asyncio.run(Daemon(config, store).run(max_ticks=ticks))
    finally:
        if lock is not None:
            lock.close()
        store.close()


@click.command()
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
    try:
        result = asyncio.run(run_reprocess(settings(), store, when))
    finally:
        store.close()
    for error in result.errors:
        echo_err(f"error: {printable(error)}")
    click.echo(f"Reprocessed {result.done} article(s); {len(result.errors)} failed.")
    if result.interrupted:
        echo_err("Interrupted: the articles not reached are as they were; run it again to finish.")
        raise click.exceptions.Exit(INTERRUPTED)
    if result.split_articles:
        click.echo(
            f"Split {result.split_entries} stor{'y' if result.split_entries == 1 else 'ies'} "
            f"out of {result.split_articles} article(s) that had taken them in by the old "
            "merge rule: their pages are fetched at their feeds' next check."
        )


DAYS = click.IntRange(0, 100_000)


@click.command()
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option("--days", type=DAYS, default=None, help="Override retention_days.")
@click.option("--raw-html-days", type=DAYS, default=None, help="Override raw_html_retention_days.")
@click.option("--fetches-days", type=DAYS, default=None, help="Override fetches_retention_days.")
def prune(
    dry_run: bool, days: int | None, raw_html_days: int | None, fetches_days: int | None
) -> None:
    """Remove old articles (their copies kept and re-pointed), old raw HTML and old fetch
    log rows, by the retention settings; then give the space back."""
    config = settings()
    config = replace(
        config,
        retention_days=config.retention_days if days is None else days,
        raw_html_retention_days=(
            config.raw_html_retention_days if raw_html_days is None else raw_html_days
        ),
        fetches_retention_days=(
            config.fetches_retention_days if fetches_days is None else fetches_days
        ),
    )
    cutoffs = cutoffs_for(config, datetime.now(UTC))
    if cutoffs.keep_all:
        click.echo("Nothing to prune: every retention setting is 0 (keep for ever).")
        return
    store = open_store()
    try:
        if dry_run:
            click.echo(_pruned_line(store.prune_preview(cutoffs), "Would remove"))
            return
        before = store.size_bytes()
        done = prune_store(store, cutoffs)
        space = store.reclaim_space()
        after = store.size_bytes()
    finally:
        store.close()
    click.echo(_pruned_line(done, "Removed"))
    click.echo(f"Store: {_mib(before)} before, {_mib(after)} after; {space}.")


def _pruned_line(pruned: Pruned, verb: str) -> str:
    promoted = (
        f" ({pruned.promoted} of their copies became canonical in their place)"
        if pruned.promoted
        else ""
    )
    return (
        f"{verb} {pruned.articles} article(s){promoted}, the raw HTML of "
        f"{pruned.raw_html} more, and {pruned.fetches} fetch log row(s)."
    )


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
