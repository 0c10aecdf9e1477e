"""Full-text search over article titles and text.

SQLite: the FTS5 table `articles_fts` (porter stemming), kept current by triggers.
PostgreSQL: the generated column `articles.search_vector` ('english' configuration, title
weighted above text) with a GIN index. Both are created by the migrations.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import column, table, text

from storage.models import Article

_WORD = re.compile(r"\w+", re.UNICODE)
_FTS = table("articles_fts", column("rowid"))


def has_words(words: str) -> bool:
    return _WORD.search(words) is not None


def fts5_query(words: str) -> str:
    """Every word must match; words are quoted so user input is never FTS5 syntax."""
    return " ".join(f'"{w}"' for w in _WORD.findall(words))


def rank_and_match(dialect: str, query: Any, words: str) -> tuple[Any, dict[str, str]]:
    """`query` over articles narrowed to those matching `words`, best first, and the
    parameters it needs."""
    if dialect == "sqlite":
        matched = (
            query.join(_FTS, _FTS.c.rowid == Article.id)
            .where(text("articles_fts MATCH :query"))
            .order_by(text("bm25(articles_fts, 4.0, 1.0)"))
        )
        return matched, {"query": fts5_query(words)}
    matched = query.where(
        text("articles.search_vector @@ websearch_to_tsquery('english', :query)")
    ).order_by(
        text("ts_rank(articles.search_vector, websearch_to_tsquery('english', :query)) DESC")
    )
    return matched, {"query": words}
