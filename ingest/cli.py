"""The `ingest` command line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from ingest.config import ConfigError, Settings, field_type, load_settings
from storage import feeds as feed_store
from storage.engine import create_store_engine
from storage.schema import SchemaMismatch, check_schema, current_revision, head_revision, upgrade
from storage.search import search_articles


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


def open_store(check: bool = True) -> Engine:
    """The store's engine; with `check`, stop unless its schema matches this code."""
    engine = create_store_engine(_settings().database_url)
    if check:
        try:
            check_schema(engine)
        except SchemaMismatch as exc:
            engine.dispose()
            raise click.ClickException(str(exc)) from None
    return engine


@main.group()
def db() -> None:
    """Create or upgrade the store's schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    engine = open_store(check=False)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    engine.dispose()
    if before == after:
        click.echo(f"Store already at schema revision {after}.")
    else:
        click.echo(f"Store upgraded from {before or 'empty'} to schema revision {after}.")


@db.command("current")
def db_current() -> None:
    """Show the store's schema revision and the one this code needs."""
    engine = open_store(check=False)
    current = current_revision(engine)
    engine.dispose()
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
    engine = open_store()
    with engine.begin() as conn:
        feed_store.add_feeds(conn, urls, poll_interval=_settings().default_poll_interval)
    engine.dispose()
    click.echo(f"{len(set(urls))} feed(s) subscribed.")


@feeds.command("remove")
@click.argument("url")
def feeds_remove(url: str) -> None:
    """Unsubscribe from a feed (its articles stay)."""
    engine = open_store()
    with engine.begin() as conn:
        removed = feed_store.remove_feed(conn, url)
    engine.dispose()
    if not removed:
        raise click.ClickException(f"No feed with URL {url}.")
    click.echo(f"Removed {url}.")


@feeds.command("list")
def feeds_list() -> None:
    """Subscriptions with their status."""
    engine = open_store()
    with engine.connect().execution_options(read_only=True) as conn:
        rows = feed_store.list_feeds(conn)
    engine.dispose()
    table = Table("URL", "last success", "errors", "last error", "next check")
    for feed in rows:
        table.add_row(
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
    engine = open_store()
    with engine.connect().execution_options(read_only=True) as conn:
        hits = search_articles(conn, words, limit)
    engine.dispose()
    if not hits:
        click.echo("No matches.")
        return
    table = Table("title", "URL", "published")
    for hit in hits:
        table.add_row(hit.title or "(untitled)", hit.url, _when(hit.published_at))
    print_table(table)


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"
