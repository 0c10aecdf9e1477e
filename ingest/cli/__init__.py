"""The `ingest` command line: the group and its rules (`app`), then one module per kind
of command: feeds, reading the store, doing the work, checking a page by hand."""

from __future__ import annotations

from ingest.cli import db, feeds, inspect, read, work
from ingest.cli.app import main

main.add_command(db.db)
main.add_command(feeds.feeds)
for command in (read.articles, read.show, read.search, read.copies, read.stats):
    main.add_command(command)
main.add_command(read.copies, "duplicates")  # its earlier name
for command in (work.backfill, work.run, work.reprocess, work.prune):
    main.add_command(command)
main.add_command(inspect.extract)

__all__ = ["main"]
