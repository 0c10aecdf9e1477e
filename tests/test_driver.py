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
