"""A backfill's progress: at a terminal, a bar for pages (its total known as feeds are
read) with rate and ETA and a line for feeds; into a pipe or file, a plain line every few
seconds instead."""

from __future__ import annotations

import time

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ingest.worker.pipeline import Count, RunStats

LOG_EVERY = 5.0  # seconds between two plain progress lines


def progress_line(stats: RunStats, feeds: int) -> str:
    c = stats.counts
    return (
        f"feeds {c[Count.FEEDS]}/{feeds}, pages {c[Count.PAGES_DONE]}/{c[Count.PAGES_FOUND]}, "
        f"new {c[Count.NEW]}, copies {c[Count.COPIES]}, errors {c[Count.ERRORS]} "
        f"({stats.rate:.1f} articles/s)"
    )


class BackfillProgress:
    """Call with the run's stats as it goes (`RunStats` is read, never kept)."""

    def __init__(self, feeds: int, console: Console | None = None) -> None:
        self.feeds = feeds
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal
        self.last_line = time.monotonic()
        self.bar = Progress(
            TextColumn("{task.description:>5}"),
            BarColumn(bar_width=None),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=self.console,
            expand=True,
        )
        self.page_task = self.bar.add_task("pages", total=None, rate="")
        self.feed_task = self.bar.add_task("feeds", total=feeds or None, rate="")

    def __enter__(self) -> BackfillProgress:
        if self.live:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live:
            self.bar.stop()

    def __call__(self, stats: RunStats) -> None:
        c = stats.counts
        if self.live:
            found = c[Count.PAGES_FOUND]
            self.bar.update(
                self.page_task,
                total=found or None,
                completed=c[Count.PAGES_DONE],
                rate=f"{stats.rate:.1f}/s",
            )
            self.bar.update(self.feed_task, completed=c[Count.FEEDS])
        elif time.monotonic() - self.last_line >= LOG_EVERY:
            self.last_line = time.monotonic()
            click.echo(progress_line(stats, self.feeds), err=True)
