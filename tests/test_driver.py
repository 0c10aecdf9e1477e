"""The hot statements run by the driver: slots for IN lists, and the lookups that use them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ingest.dedup.fingerprint import band_keys, content_words, fingerprint
from storage.articles import store_article
from storage.dedup import (
    KEY_SLOTS,
    URL_SLOTS,
    article_for_urls,
    article_with_hash,
    near_candidates,
    replace_bands,
)
from storage.driver import fill
from tests.helpers.records import article


def test_fill_pads_with_the_last_value_and_refuses_what_does_not_fit() -> None:
    assert fill("k", [1, 2], 4) == {"k0": 1, "k1": 2, "k2": 2, "k3": 2}
    with pytest.raises(ValueError):
        fill("k", [], 4)
    with pytest.raises(ValueError):
        fill("k", [1, 2, 3], 2)


def test_lookups_find_articles_past_the_slots_on_both_engines(engine: Engine) -> None:
    with engine.begin() as conn:
        urls = [f"https://example.com/other/{i}" for i in range(URL_SLOTS * 2)]
        stored = store_article(conn, article("https://example.com/a", urls=(urls[-1],)))
        later = store_article(conn, article("https://example.com/b"))
        keys = list(range(1, KEY_SLOTS + 1))
        replace_bands(conn, stored.id, [keys[-1]], replace=False)
        replace_bands(conn, later.id, [keys[0], keys[-1]], replace=False)

        assert article_for_urls(conn, urls) == (stored.id, "https://example.com/a")
        assert article_for_urls(conn, urls[:URL_SLOTS]) is None
        assert article_with_hash(conn, "h:https://example.com/a") == stored.id
        assert article_with_hash(conn, "h:https://example.com/a", exclude=stored.id) is None
        # Each article once, oldest first; `exclude` left out; as many keys as an article has.
        assert [c.id for c in near_candidates(conn, keys)] == [stored.id, later.id]
        assert [c.id for c in near_candidates(conn, keys[:1])] == [later.id]
        assert [c.id for c in near_candidates(conn, keys, exclude=stored.id)] == [later.id]
        assert near_candidates(conn, []) == []
        with pytest.raises(ValueError):
            near_candidates(conn, [*keys, 0])


def test_an_article_has_no_more_band_keys_than_the_lookup_has_slots() -> None:
    text = " ".join(f"word{i}" for i in range(500))
    assert len(band_keys(fingerprint(content_words(text)))) == KEY_SLOTS


def test_the_fetch_log_and_entry_links_go_in_whole_on_both_engines(engine: Engine) -> None:
    """One statement for all the rows on PostgreSQL (arrays, integers as a literal with
    NULLs in it): every value arrives as it was given."""
    from sqlalchemy import select

    from ingest.errors import ErrorKind
    from ingest.types import FetchRecord, utcnow
    from storage.entries import EntryRecord, link_entries, upsert_entries
    from storage.feeds import add_feeds
    from storage.fetches import log_fetches
    from storage.models import Entry, Fetch

    now = utcnow()
    records = [
        FetchRecord("https://a.example/1", 200, 10, 1.5, None, None, None, now),
        FetchRecord("https://a.example/2", None, 0, 2.5, None, ErrorKind.TIMEOUT, "slow", now),
        FetchRecord("https://a.example/3", 404, 3, 0.5, None, ErrorKind.HTTP, "gone", now),
    ]
    with engine.begin() as conn:
        log_fetches(conn, records)
        add_feeds(conn, ["https://a.example/feed"], poll_interval=60)
        upsert_entries(
            conn, [EntryRecord(1, f"g{n}", f"https://a.example/{n}", None, None) for n in range(3)]
        )
        stored = [store_article(conn, article(f"https://a.example/{n}")).id for n in range(2)]
        ids = list(conn.execute(select(Entry.id).order_by(Entry.id)).scalars())
        link_entries(conn, {ids[0]: stored[1], ids[2]: stored[0]})
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Fetch.url,
                Fetch.status,
                Fetch.bytes,
                Fetch.duration_ms,
                Fetch.error_kind,
                Fetch.error,
                Fetch.fetched_at,
            ).order_by(Fetch.url)
        ).all()
        links = list(conn.execute(select(Entry.article_id).order_by(Entry.id)).scalars())
    assert [tuple(r) for r in rows] == [
        (r.url, r.status, r.bytes, r.duration_ms, r.error_kind, r.error, now) for r in records
    ]
    assert links == [stored[1], None, stored[0]]


def test_waiting_urls_go_in_together_and_a_known_url_keeps_its_article(engine: Engine) -> None:
    from sqlalchemy import select

    from ingest.types import utcnow
    from storage.models import ArticleUrl
    from storage.pending import PendingRows

    with engine.begin() as conn:
        a = store_article(conn, article("https://a.example/1")).id
        b = store_article(conn, article("https://a.example/2")).id
        pending = PendingRows()
        pending.add_urls({"https://a.example/1": b, "https://x.example/n": b}, utcnow())
        pending.add_urls({"https://x.example/n": a, "https://x.example/m": a}, utcnow())
        pending.flush(conn)
        assert pending == PendingRows()
    with engine.connect() as conn:
        urls = dict(conn.execute(select(ArticleUrl.url, ArticleUrl.article_id)).all())
    assert urls["https://a.example/1"] == a  # known already: stays
    assert urls["https://x.example/n"] == b  # the first given wins
    assert urls["https://x.example/m"] == a
