"""Stage 3, extraction and cleaning: takes a page's bytes (and its URL and Content-Type),
hands on an `Article`: metadata, the clean main text and HTML, and each block cleaning
removed with its reason.

`article` puts it together; `content` finds the main blocks, `metadata` reads the page's
declarations, `clean` (pure) drops duplicates, related links and boilerplate, `language`
and `sanitize` finish the article.

Tests: tests/test_extract.py, test_clean.py, test_substrings.py, and the golden files in
tests/golden/.
"""

from ingest.extract.article import Article, extract_article

__all__ = ["Article", "extract_article"]
