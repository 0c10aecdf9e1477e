"""The `ingest` group: settings (one flag per setting), logging, the store, and the rule that
a command ends in one sentence, never a traceback."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import fields
from typing import Any

import click

from ingest.cli.logs import configure_logging
from ingest.config import Settings, field_type, load_settings
from ingest.errors import ConfigError, StoreError
from ingest.text import one_line
from storage.store import Store

DEBUG_ENV = "INGEST_DEBUG"
INTERRUPTED = 130  # the shell's code for a command stopped by SIGINT


def short(error: BaseException, limit: int = 300) -> str:
    """An error in one line a user can read (a driver's message runs to many)."""
    text = one_line(str(error)).split(" (Background on this error")[0]
    text = text.split(" [SQL: ")[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


class IngestGroup(click.Group):
    """Every command ends with its output or one `Error:` sentence and a non-zero exit: a
    store that cannot be used, bad settings, Ctrl-C, or (a bug) anything else. With
    INGEST_DEBUG=1 the traceback of an unexpected error is shown too."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except StoreError as exc:
            raise click.ClickException(store_problem(exc)) from None
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("Interrupted: stopped before the command finished.", err=True)
            ctx.exit(INTERRUPTED)
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            raise click.ClickException(
                f"unexpected failure ({type(exc).__name__}: {short(exc)}); this is a bug: "
                f"please report it (run with {DEBUG_ENV}=1 to see where it happened)"
            ) from None


_DRIVER_NAMES = re.compile(r"^\w+Error: |\((?:sqlite3|psycopg)[\w.]*\) ")


def store_problem(error: StoreError) -> str:
    """The sentence for a store that failed: the database's own words, without the names
    of the driver's exception classes."""
    text = _DRIVER_NAMES.sub("", short(error))
    if "file is not a database" in text or "database disk image is malformed" in text:
        return (
            f"the store cannot be read ({text}): is it an ingest store? restore a backup "
            "or use a new file"
        )
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


def _setting_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """One `--flag` per setting, so every setting can be given on the command line."""
    for f in reversed(fields(Settings)):
        kind = field_type(f.name)
        flag = "--" + f.name.replace("_", "-")
        help_text = Settings.help_for(f.name)
        if kind is bool:
            decl = f"{flag}/--no-{f.name.replace('_', '-')}"
            func = click.option(decl, f.name, default=None, help=help_text)(func)
        else:
            func = click.option(flag, f.name, type=kind, default=None, help=help_text)(func)
    return func


@click.group(cls=IngestGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="feed-ingest", prog_name="ingest", message="%(prog)s %(version)s"
)
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
    configure_logging(ctx.obj.log_format, ctx.obj.log_level)


def settings() -> Settings:
    found = click.get_current_context().find_object(Settings)
    assert found is not None
    return found


def open_store(check: bool = True, create: bool = False) -> Store:
    """The store; with `check`, stop unless its schema matches this code. A store that
    cannot be reached is a `StoreError`, which the group turns into one sentence."""
    store = Store(settings().database_url, create=create)
    if check:
        try:
            store.check_schema()
        except StoreError:
            store.close()
            raise
    return store


def echo_err(message: str) -> None:
    click.echo(message, err=True)
