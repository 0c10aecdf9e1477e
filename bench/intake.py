"""Intake benchmark: already-extracted real articles taken into one store by 1, 2 and 4
writer processes at once, on SQLite and on PostgreSQL, so that what the intake's locking
costs shows without the extraction's CPU.

    .venv/bin/python bench/intake.py                  # SQLite
    .venv/bin/python bench/intake.py --postgres URL   # and PostgreSQL (a superuser URL)

The articles are the 791 reviewed texts of ../shared/bench/wcxb-dev/, each with a near copy
(2% of its words changed) under another host's URL. An original and its copy always go to
two different writers, which take their shares in at the same moment, in batches as the
worker's writer does (`Store.intake` + `take_in_all`); the articles are prepared (hashes,
fingerprint, keys) before the clock starts. Prints the aggregate articles/s per engine and
writer count, its ratio to one writer's, and how many of the copies were linked to their
original (all of them, or the locking is wrong).

`--hosts N` puts the articles on N sites, as a worker's feeds are: every batch then holds
articles of hosts the other writers' batches hold too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench.pipeline import fresh_pg_database  # noqa: E402
from ingest.dedup.prepare import prepare  # noqa: E402
from ingest.extract.article import Article  # noqa: E402
from ingest.types import Block, utcnow  # noqa: E402
from ingest.worker.writer import take_in_all  # noqa: E402
from storage.models import Article as ArticleRow  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.helpers.benchmarks import wcxb_pages  # noqa: E402

BATCH = 32


def articles(hosts: int | None = None, seed: int = 5) -> list[tuple[str, str]]:
    """(URL, text) of each real article and of its near copy, original then copy: on their
    own sites, or spread over `hosts` sites."""
    rng = random.Random(seed)
    items = []
    for n, page in enumerate(wcxb_pages()):
        words = page.text.split(" ")
        for i in rng.sample(range(len(words)), max(1, len(words) // 50)):
            words[i] = f"edit{rng.randrange(10**6)}"
        if hosts is None:
            original = page.url or f"https://page-{n}.example/"
            copy = f"https://syndicated-{n}.example/story/{n}"
        else:
            original = f"https://site-{n % hosts}.example/story/{n}"
            copy = f"https://site-{(n + 1) % hosts}.example/syndicated/{n}"
        items.append((original, page.text))
        items.append((copy, " ".join(words)))
    return items


def _article(text: str) -> Article:
    return Article("T", None, None, "en", None, None, None, text, (Block(text),), ())


def writer(url: str, share: list[tuple[str, str]], start: Barrier, results: Any) -> None:
    prepared = [prepare(page_url, _article(text), utcnow()) for page_url, text in share]
    store = Store(url)
    start.wait()
    began = time.perf_counter()
    for n in range(0, len(prepared), BATCH):
        with store.intake() as transaction:
            take_in_all(transaction, prepared[n : n + BATCH], clock=utcnow)
    results.put(time.perf_counter() - began)
    store.close()


def run(url: str, items: list[tuple[str, str]], writers: int) -> tuple[float, int]:
    """Seconds from the start until the last writer is done, and copies linked."""
    Store(url, create=True).upgrade()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(writers + 1)
    results = context.Queue()
    shares = [items[k::writers] for k in range(writers)]  # a pair's halves: two writers
    children = [
        context.Process(target=writer, args=(url, share, start, results)) for share in shares
    ]
    for child in children:
        child.start()
    start.wait()
    began = time.perf_counter()
    for _ in children:
        results.get()
    seconds = time.perf_counter() - began
    for child in children:
        child.join()
    store = Store(url)
    with store.engine.connect() as conn:
        linked = conn.execute(
            select(ArticleRow.id).where(ArticleRow.duplicate_of.is_not(None))
        ).all()
    store.close()
    return seconds, len(linked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="PostgreSQL superuser URL to benchmark too")
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--hosts", type=int, help="the articles on this many sites")
    args = parser.parse_args()
    items = articles(args.hosts)
    pairs = len(items) // 2
    sites = f"{args.hosts} sites" if args.hosts else "their own sites"
    print(
        f"{len(items)} articles ({pairs} real ones and a near copy of each) on {sites}, "
        f"batches of {BATCH}"
    )
    print("engine      writers  articles/s  vs 1 writer  copies linked")
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    for name, admin in targets:
        one = None
        for writers in (int(w) for w in args.writers.split(",")):
            with tempfile.TemporaryDirectory() as tmp:
                if admin is None:
                    url = f"sqlite:///{tmp}/intake.db"
                else:
                    url = fresh_pg_database(admin, f"bench_intake_{writers}")
                seconds, linked = run(url, items, writers)
            rate = len(items) / seconds
            one = one or rate
            print(f"{name:<11} {writers:>7} {rate:>11.0f} {rate / one:>12.2f}  {linked}/{pairs}")


if __name__ == "__main__":
    main()
