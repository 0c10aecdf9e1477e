"""Output for people (tables at the terminal's width) and for scripts (JSON, JSON lines,
CSV: every record with the same keys, dates in ISO 8601 UTC, absent values null/empty).

The JSON shapes are part of the interface: keys are added, never renamed or removed."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ingest.text import printable

FORMATS = ("table", "json", "jsonl", "csv")
Record = Mapping[str, Any]


def format_option(
    default: str = "table", choices: Sequence[str] = FORMATS
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="table for people; json (one array), jsonl (one object a line) or csv for scripts.",
    )


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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


def emit(
    records: Sequence[Record], output_format: str, columns: Mapping[str, str] | None = None
) -> None:
    """`records` in the format asked. For a table, `columns` maps a heading to its key
    (default: every key); the data formats always carry every key."""
    if output_format == "json":
        click.echo(json.dumps(list(records), ensure_ascii=False, indent=2, default=_json_value))
    elif output_format == "jsonl":
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False, default=_json_value))
    elif output_format == "csv":
        if records:
            writer = csv.DictWriter(sys.stdout, fieldnames=list(records[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: _csv_value(v) for k, v in r.items()} for r in records)
    else:
        headings = columns or {key: key for key in (records[0] if records else {})}
        table = Table(*headings)
        for record in records:
            add_row(table, *(_cell(record.get(key)) for key in headings.values()))
        print_table(table)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return " ".join(map(str, value))
    return "" if value is None else value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    return str(value)
