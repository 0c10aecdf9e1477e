"""`ingest extract`: one page's article and what cleaning removed, for checking by hand."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from ingest.cli.app import settings
from ingest.config import Settings
from ingest.errors import FetchError
from ingest.extract.article import Article, extract_article
from ingest.http.fetch import Fetcher
from ingest.http.pages import PageFetcher
from ingest.text import one_line, printable


@click.command()
@click.argument("source")
@click.option(
    "--url",
    "page_url",
    default=None,
    help="The page's address, for its relative links (default: SOURCE when it is a URL).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
def extract(source: str, page_url: str | None, as_json: bool) -> None:
    """Print the article in a saved page (SOURCE is a file) or a live one (SOURCE is a URL),
    and what cleaning removed from it: for checking a page by hand."""
    if source.startswith(("http://", "https://")):
        content, content_type, fetched_url = asyncio.run(_fetch_page(settings(), source))
        page_url = page_url or fetched_url
    else:
        try:
            content, content_type = Path(source).read_bytes(), None
        except OSError as exc:
            raise click.ClickException(f"cannot read {source}: {exc.strerror}") from None
    article = extract_article(content, page_url, content_type)
    if as_json:
        body = {
            "text": article.text,
            "html": article.html,
            "removed": [{"reason": r.reason, "text": r.text} for r in article.removed],
        }
        click.echo(json.dumps(_metadata(article) | body, ensure_ascii=False, indent=2))
        return
    for name, value in _metadata(article).items():
        click.echo(printable(f"{name + ':':<15}{value if value is not None else '-'}"))
    click.echo(f"\n{printable(article.text)}\n")
    count = len(article.removed)
    click.echo(f"removed: {count} block{'' if count == 1 else 's'}")
    for removed in article.removed:
        excerpt = removed.text if len(removed.text) <= 100 else removed.text[:99] + "…"
        click.echo(f"  [{removed.reason}] {one_line(excerpt)}")


async def _fetch_page(settings: Settings, url: str) -> tuple[bytes, str | None, str]:
    """The page at `url`, fetched as the worker fetches pages (guard, caps, robots.txt)."""
    async with Fetcher(settings) as fetcher:
        try:
            response = await PageFetcher(fetcher).fetch(url)
        except FetchError as exc:
            raise click.ClickException(f"cannot fetch {url} ({exc.kind}): {exc}") from None
    if response.status >= 400:
        raise click.ClickException(f"cannot fetch {url}: HTTP {response.status}")
    return response.content, response.headers.get("content-type"), response.url


def _metadata(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "author": article.author,
        "published": article.published.astimezone(UTC).isoformat() if article.published else None,
        "language": article.language,
        "canonical_url": article.canonical_url,
        "site_name": article.site_name,
        "lead_image": article.lead_image,
        "words": article.word_count,
    }
