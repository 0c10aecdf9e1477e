"""`ingest feeds ...`: subscriptions, their status, OPML in and out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from ingest.cli.app import echo_err, open_store, settings
from ingest.cli.output import emit, format_option, iso
from ingest.feeds import opml
from ingest.text import printable
from ingest.types import Subscription
from ingest.urls import url_problem
from storage.store import Store

DISABLED_BY_HAND = "disabled with `ingest feeds disable`"


@click.group()
def feeds() -> None:
    """Manage subscriptions."""


@feeds.command("add")
@click.argument("urls", nargs=-1, required=True)
def feeds_add(urls: tuple[str, ...]) -> None:
    """Subscribe to one or more feed URLs (http or https)."""
    refuse_bad_urls(urls)
    store = open_store()
    try:
        store.add_feeds(urls, poll_interval=settings().default_poll_interval)
    finally:
        store.close()
    click.echo(f"{len(set(urls))} feed(s) subscribed.")


@feeds.command("remove")
@click.argument("feed")
def feeds_remove(feed: str) -> None:
    """Unsubscribe from a feed, by URL or id (its articles stay)."""
    store = open_store()
    try:
        _, url = find_feed(store, feed)
        store.remove_feed(url)
    finally:
        store.close()
    click.echo(f"Removed {printable(url)}.")


@feeds.command("list")
@format_option()
def feeds_list(output_format: str) -> None:
    """Subscriptions: id, title, status (ok, erroring or disabled, with why), articles,
    last success and next check."""
    store = open_store()
    try:
        overview = store.feed_overview()
    finally:
        store.close()
    records: list[dict[str, Any]] = [
        {
            "id": f.id,
            "url": f.url,
            "title": f.title,
            "category": f.category,
            "status": f.status,
            "reason": f.reason,
            "articles": f.articles,
            "errors": f.error_count,
            "last_success": iso(f.last_success_at),
            "next_check": iso(f.next_check_at),
        }
        for f in overview
    ]
    if output_format != "table":
        emit(records, output_format)
        return
    for record, feed in zip(records, overview, strict=True):
        status = feed.status + (f": {feed.reason}" if feed.reason else "")
        record.update(
            status=status, last_success=feed.last_success_at, next_check=feed.next_check_at
        )
    columns = {
        "id": "id",
        "title": "title",
        "URL": "url",
        "category": "category",
        "status": "status",
        "articles": "articles",
        "last success": "last_success",
        "next check": "next_check",
    }
    emit(records, "table", columns)


@feeds.command("disable")
@click.argument("feed")
def feeds_disable(feed: str) -> None:
    """Stop checking a feed (by URL or id); its articles stay."""
    store = open_store()
    try:
        feed_id, url = find_feed(store, feed)
        store.set_feed_enabled(feed_id, False, DISABLED_BY_HAND)
    finally:
        store.close()
    click.echo(f"Disabled {printable(url)}.")


@feeds.command("enable")
@click.argument("feed")
def feeds_enable(feed: str) -> None:
    """Check a feed again (by URL or id), at once, with its error count cleared: also a
    feed the worker disabled (a 410 Gone)."""
    store = open_store()
    try:
        feed_id, url = find_feed(store, feed)
        store.set_feed_enabled(feed_id, True)
    finally:
        store.close()
    click.echo(f"Enabled {printable(url)}: it is checked at the next tick.")


@feeds.command("import")
@click.argument("opml_file", type=click.Path(exists=True, dir_okay=False))
def feeds_import(opml_file: str) -> None:
    """Subscribe to every feed of an OPML file, with its title and folder (category)."""
    found = read_opml(opml_file)
    store = open_store()
    try:
        store.add_feeds(found, poll_interval=settings().default_poll_interval)
    finally:
        store.close()
    click.echo(f"{len(found)} feed(s) subscribed from {printable(opml_file)}.")


@feeds.command("export")
def feeds_export() -> None:
    """Print the subscriptions as OPML, in folders by category."""
    store = open_store()
    try:
        overview = store.feed_overview()
    finally:
        store.close()
    click.echo(opml.export([Subscription(f.url, f.title, f.category) for f in overview]), nl=False)


def read_opml(path: str) -> list[Subscription]:
    """The subscriptions of an OPML file that can be fetched; each other one is named and
    skipped. A file that is not OPML stops the command."""
    try:
        found = opml.subscriptions(Path(path).read_bytes())
    except opml.OpmlError as exc:
        raise click.ClickException(f"{printable(path)}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {printable(path)}: {exc.strerror}") from None
    kept = []
    for subscription in found:
        problem = url_problem(subscription.url)
        if problem is None:
            kept.append(subscription)
        else:
            echo_err(f"skipped: {printable(problem)}")
    return kept


def refuse_bad_urls(urls: Iterable[str]) -> None:
    """Refuse the command, before it changes anything, when a URL cannot be fetched."""
    for url in urls:
        problem = url_problem(url)
        if problem is not None:
            raise click.ClickException(f"{printable(problem)}: nothing was changed.")


def find_feed(store: Store, ref: str) -> tuple[int, str]:
    """(id, URL) of the feed named by URL or id; else the command stops, saying so."""
    found = store.find_feed(ref)
    if found is None:
        raise click.ClickException(
            f"no feed with URL or id {printable(ref)}: `ingest feeds list` shows them"
        )
    return found
