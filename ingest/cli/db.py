"""`ingest db ...`: the store's schema."""

from __future__ import annotations

import click

from ingest.cli.app import open_store
from storage.schema import head_revision
from storage.store import NoStoreError


@click.group()
def db() -> None:
    """Create or upgrade the store's schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    store = open_store(check=False, create=True)
    try:
        before = store.revision()
        store.upgrade()
        after = store.revision()
    finally:
        store.close()
    if before == after:
        click.echo(f"Store already at schema revision {after}.")
    else:
        click.echo(f"Store upgraded from {before or 'empty'} to schema revision {after}.")


@db.command("current")
def db_current() -> None:
    """Show the store's schema revision and the one this code needs."""
    head = head_revision()
    try:
        store = open_store(check=False)
    except NoStoreError:
        click.echo(f"store: not set up; code: {head} (run `ingest db upgrade`)")
        return
    try:
        current = store.revision()
    finally:
        store.close()
    state = "up to date" if current == head else "run `ingest db upgrade`"
    click.echo(f"store: {current or 'not set up'}; code: {head} ({state})")
