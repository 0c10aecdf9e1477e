"""Retention in the store, on both engines: what goes, what stays, and how a cluster whose
canonical article goes is re-pointed."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from ingest.worker.retention import prune_store
from storage.articles import store_article
from storage.models import Article, Entry, Feed, HostBlock
from storage.retention import Cutoffs
from storage.store import Store
from tests.helpers.records import T0, article

OLD, NEW = T0, T0 + timedelta(days=60)
CUT = T0 + timedelta(days=30)


def stored(engine: Engine, url: str, at: object, copy_of: int | None = None, **kw: object) -> int:
    with engine.begin() as conn:
        return store_article(conn, article(url, at=at, **kw), duplicate_of=copy_of).id  # type: ignore[arg-type]


def test_a_canonical_article_that_goes_leaves_its_earliest_kept_copy_in_its_place(
    engine: Engine, database_url: str
) -> None:
    root = stored(engine, "https://a.example/1", OLD)
    first = stored(engine, "https://b.example/1", NEW, root, text="One.\nTwo lines.")
    second = stored(engine, "https://c.example/1", NEW + timedelta(hours=1), root)
    gone_copy = stored(engine, "https://d.example/1", OLD, root)
    alone = stored(engine, "https://e.example/2", OLD)
    kept = stored(engine, "https://e.example/3", NEW)
    store = Store(database_url)
    preview = store.prune_preview(Cutoffs(articles=CUT))
    done = prune_store(store, Cutoffs(articles=CUT))
    store.close()
    assert (preview.articles, preview.promoted) == (done.articles, done.promoted) == (3, 1)
    assert done.repointed == 1
    with engine.connect() as conn:
        left = dict(conn.execute(select(Article.id, Article.duplicate_of)).all())
        blocks = conn.execute(
            select(func.count()).where(HostBlock.article_id == first)
        ).scalar_one()
    assert left == {first: None, second: first, kept: None}
    assert not {root, gone_copy, alone} & set(left)
    assert blocks > 0  # the new canonical article counts for its host's boilerplate


def test_entries_of_pruned_articles_are_marked_and_not_pending(
    engine: Engine, database_url: str
) -> None:
    old = stored(engine, "https://a.example/old", OLD)
    new = stored(engine, "https://a.example/new", NEW)
    with engine.begin() as conn:
        feed = conn.execute(
            Feed.__table__.insert().values(url="https://a.example/feed")
        ).inserted_primary_key[0]  # type: ignore[index]
        for guid, article_id in (("o", old), ("n", new)):
            conn.execute(
                Entry.__table__.insert().values(
                    feed_id=feed, guid=guid, link=f"https://a.example/{guid}", article_id=article_id
                )
            )
    store = Store(database_url)
    assert prune_store(store, Cutoffs(articles=CUT)).entries == 1
    store.close()
    with engine.connect() as conn:
        entries = {e.guid: e for e in conn.execute(select(Entry.__table__))}
    assert entries["o"].article_id is None and entries["o"].pruned_at is not None
    assert entries["n"].article_id == new and entries["n"].pruned_at is None


def test_an_older_sqlite_store_is_converted_to_incremental_vacuum(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = Store(f"sqlite:///{path}", create=True)
    store.upgrade()
    with store.engine.begin() as conn:
        for n in range(300):
            store_article(
                conn,
                article(
                    f"https://a.example/{n}",
                    at=OLD,
                    raw_html="<p>x</p>" * 500,
                    text="Words. " * 300,
                ),
            )
    store.close()
    with sqlite3.connect(path, isolation_level=None) as conn:  # as a store made before
        conn.execute("PRAGMA auto_vacuum=NONE")
        conn.execute("VACUUM")
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    store = Store(f"sqlite:///{path}")
    before = store.size_bytes()
    prune_store(store, Cutoffs(articles=CUT))
    store.reclaim_space()
    after = store.size_bytes()
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2
    assert after < before / 4
