"""What the store costs on disk per article, by table, and what `ingest prune` gives back.

    .venv/bin/python bench/footprint.py            # 2000 articles, SQLite
    .venv/bin/python bench/footprint.py --size 5000

The same synthetic site as bench/pipeline.py goes through the daemon's tick into a fresh
SQLite store (raw HTML kept, the default); the bytes of each table and index are read from
SQLite's `dbstat`. Then half the articles are aged past `retention_days` and pruned, and the
file's size before and after is printed, with what the peer (the same store without prune's
vacuum: SQLite keeps freed pages in the file) would keep.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline import StaticServer, build, ingest  # noqa: E402

from ingest.config import Settings  # noqa: E402
from ingest.types import utcnow  # noqa: E402
from ingest.worker.retention import cutoffs_for, prune_store  # noqa: E402
from storage.store import Store  # noqa: E402


def by_table(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
        owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema").fetchall())
    sizes: dict[str, int] = {}
    for name, size in rows:
        table = owners.get(name, name)
        table = "articles_fts" if table.startswith("articles_fts") else table
        sizes[table] = sizes.get(table, 0) + int(size)
    return sizes


def on_disk(path: Path) -> int:
    """The store's file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000, help="articles to store")
    args = parser.parse_args()
    settings = Settings(
        allow_private_networks=True,
        respect_robots_txt=False,
        max_connections=8,
        max_connections_per_host=8,
        retention_days=30,
    )
    with tempfile.TemporaryDirectory() as site, tempfile.TemporaryDirectory() as tmp:
        server = StaticServer(Path(site))
        feeds, _ = build(Path(site), server, args.size, seed=args.size)
        path = Path(tmp) / "store.db"
        url = f"sqlite:///{path}"
        stored, _, _ = asyncio.run(ingest(settings, url, feeds))
        server.close()
        sizes = by_table(path)
        total = sum(sizes.values())
        print(f"{stored} articles: {total / stored / 1024:.1f} KiB per article")
        print("table              KiB/article  share")
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
            print(f"{name:<18} {size / stored / 1024:>11.2f} {size / total:>6.0%}")

        with sqlite3.connect(path) as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
            old = (utcnow() - timedelta(days=40)).replace(tzinfo=None).isoformat(" ")
            half = ids[: len(ids) // 2]
            conn.executemany(
                "UPDATE articles SET first_seen_at = ? WHERE id = ?", [(old, i) for i in half]
            )
        store = Store(url)
        store.reclaim_space()  # the WAL written back: the file holds everything
        before = on_disk(path)
        pruned = prune_store(store, cutoffs_for(settings, utcnow()))
        kept_without_vacuum = on_disk(path)
        store.reclaim_space()
        store.close()
        after = on_disk(path)
        print(
            f"prune of {pruned.articles} articles: file {before / 2**20:.1f} MiB -> "
            f"{after / 2**20:.1f} MiB ({after / before:.0%}); without the vacuum (the peer): "
            f"{kept_without_vacuum / 2**20:.1f} MiB"
        )


if __name__ == "__main__":
    main()
