"""The backfill's progress bar at a terminal: pages (once known) with rate and ETA, feeds
on a line of their own, drawn at 80 columns."""

from __future__ import annotations

import io

from rich.console import Console

from ingest.cli.progress import BackfillProgress, progress_line
from ingest.worker.pipeline import Count, RunStats


def test_the_bar_counts_pages_and_feeds_at_80_columns() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    stats = RunStats()
    with BackfillProgress(28, console) as progress:
        assert progress.live
        stats.counts.update({Count.FEEDS: 3, Count.PAGES_FOUND: 1545, Count.PAGES_DONE: 120})
        progress(stats)
        progress.bar.refresh()
    drawn = screen.getvalue()
    assert "pages" in drawn and "120/1545" in drawn and "8%" in drawn
    assert "feeds" in drawn and "3/28" in drawn
    bar_line = next(line for line in drawn.splitlines() if "120/1545" in line)
    assert bar_line.index("120/1545") - bar_line.index("pages") >= 30  # room at 80 columns


def test_the_plain_line_says_the_same() -> None:
    stats = RunStats()
    stats.counts.update(
        {Count.FEEDS: 2, Count.PAGES_FOUND: 40, Count.PAGES_DONE: 10, Count.NEW: 9, Count.COPIES: 1}
    )
    line = progress_line(stats, 5)
    assert line.startswith("feeds 2/5, pages 10/40, new 9, copies 1, errors 0 (")
