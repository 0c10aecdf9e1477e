"""Full-text search on both engines, kept current as articles change."""

from __future__ import annotations

from sqlalchemy import Engine, delete, update

from storage.articles import store_article
from storage.models import Article
from storage.reads import ArticleFilter, search_articles
from storage.search import fts5_query
from tests.helpers.records import article


def titles(engine: Engine, words: str) -> list[str | None]:
    with engine.connect() as conn:
        return [hit.title for hit in search_articles(conn, words, ArticleFilter())]


def test_search_finds_words_in_titles_and_text_best_first(engine: Engine) -> None:
    with engine.begin() as conn:
        store_article(conn, article("https://x/1", title="Pipeline deal", text="Gas talks."))
        store_article(conn, article("https://x/2", title="Other news", text="A gas pipeline."))
        store_article(conn, article("https://x/3", title="Weather", text="Sunny all week."))
    assert titles(engine, "pipeline") == ["Pipeline deal", "Other news"]
    assert titles(engine, "gas pipelines") == ["Pipeline deal", "Other news"]  # stemmed
    assert titles(engine, "sunny") == ["Weather"]
    assert titles(engine, "nothing-like-this") == []


def test_search_follows_updates_and_deletes(engine: Engine) -> None:
    with engine.begin() as conn:
        stored = store_article(conn, article("https://x/1", title="Old", text="Apples."))
    assert titles(engine, "apples") == ["Old"]
    with engine.begin() as conn:
        conn.execute(
            update(Article).values(title="New", text="Oranges.").where(Article.id == stored.id)
        )
    assert titles(engine, "apples") == []
    assert titles(engine, "oranges") == ["New"]
    with engine.begin() as conn:
        conn.execute(delete(Article))
    assert titles(engine, "oranges") == []


def test_user_input_is_never_query_syntax(engine: Engine) -> None:
    with engine.begin() as conn:
        store_article(conn, article("https://x/1", title='C++ AND "quotes"', text="NEAR(x) -y"))
    assert titles(engine, 'c++ AND "quotes') == ['C++ AND "quotes"']
    assert titles(engine, "NEAR(") == ['C++ AND "quotes"']
    assert titles(engine, "*** ") == []


def test_fts5_query_quotes_every_word() -> None:
    assert fts5_query('say "hi" OR -bye*') == '"say" "hi" "OR" "bye"'
