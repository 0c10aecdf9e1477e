"""Article extraction: a page's HTML in, its metadata and clean main text out.

    from ingest.extract.article import extract_article
    article = extract_article(html_bytes_or_text, url="https://example.com/story")
    article.title, article.published, article.text, article.removed

Decoding (`ingest.http.charset`) -> parsing (Lexbor) -> metadata (`ingest.extract.metadata`) -> main
content blocks (`ingest.extract.content`) -> cleaning (`ingest.extract.clean`) -> sanitised HTML.
Broken HTML never raises: the worst page gives an empty text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from html import escape

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser

from ingest.extract.clean import clean_blocks
from ingest.extract.content import extract_blocks, paragraph_blocks
from ingest.extract.language import guess_language
from ingest.extract.metadata import extract_metadata
from ingest.extract.nesting import bounded_nesting
from ingest.extract.sanitize import sanitise_html
from ingest.extract.walls import Wall, wall_reason
from ingest.http.charset import decode_html, html_for_parser
from ingest.text import fewer_words_than, normalise, repair_mojibake
from ingest.types import Block, BlockKind, RemovalReason, Removed, TextSource

__all__ = ["Article", "decode_html", "extract_article"]

# A chosen box this short (or a wall) is checked against the page's paragraphs, which win
# when they hold this many times its words, and at least this many.
RECONSIDER_WORDS = 200
RECONSIDER_RATIO = 3
RECONSIDER_MIN_WORDS = 100


@dataclass(frozen=True)
class Article:
    title: str | None
    author: str | None
    published: datetime | None
    """UTC."""
    language: str | None
    canonical_url: str | None
    site_name: str | None
    lead_image: str | None
    text: str
    """The clean main text: blocks separated by a blank line, list items one per line."""
    blocks: tuple[Block, ...]
    """The blocks of the clean main text, in order, each with its own markup."""
    removed: tuple[Removed, ...]
    """Each block that cleaning dropped, with its reason."""
    wall: str | None = None
    """Why the page is not an article, when it is a wall (`ingest.extract.walls.Wall`)."""
    text_source: str = TextSource.PAGE
    """Where the text came from: the page, or its feed entry (`ingest.extract.feed`)."""
    feed_fields: tuple[str, ...] = ()
    """The fields the feed entry gave, where the page had none (or was a wall)."""

    @cached_property
    def html(self) -> str:
        """The clean body as sanitised HTML, rendered on first use (sanitising costs as much
        as a tenth of an extraction, and a caller may want only the text)."""
        return render_html(self.blocks)

    @cached_property
    def word_count(self) -> int:
        return len(self.text.split())


def extract_article(
    html: str | bytes, url: str | None = None, content_type: str | None = None
) -> Article:
    markup = bounded_nesting(html_for_parser(html, content_type))
    # Without DOM mutation events (a <selectedcontent> mirroring its <option>, say): the
    # markup as written, a few percent sooner.
    tree = LexborHTMLParser(markup, options=LexborDocumentOptions.WO_EVENTS)
    meta = extract_metadata(tree, url, markup)
    try:
        blocks, pruned = extract_blocks(tree)
    except RecursionError:  # absurdly deep markup: fall back to its paragraphs
        blocks, pruned = paragraph_blocks(tree), []
    article = article_from_blocks(blocks, meta.title, pruned, meta.language, meta.author)
    if article.wall is not None or fewer_words_than(article.text, RECONSIDER_WORDS):
        # The box chosen is a consent, sign-up or paywall box, or holds little: when the
        # page's own paragraphs make a much longer article, they are the article instead
        # (read from the same tree: what pruning took out of the box, hidden text and
        # sharing widgets, stays out).
        paragraphs = paragraph_blocks(tree)
        needed = max(RECONSIDER_MIN_WORDS, RECONSIDER_RATIO * article.word_count)
        # Cleaning only takes words away: paragraphs too few before it are not cleaned.
        if not fewer_words_than(" ".join(block.text for block in paragraphs), needed):
            fallback = article_from_blocks(
                paragraphs, meta.title, language=meta.language, author=meta.author
            )
            if fallback.wall is None and fallback.word_count >= needed:
                article = fallback
    return _without_mojibake(
        replace(
            article,
            author=meta.author,
            published=meta.published,
            canonical_url=meta.canonical_url,
            site_name=meta.site_name,
            lead_image=meta.lead_image,
        )
    )


def _without_mojibake(article: Article) -> Article:
    """The article with UTF-8 that the site stored as Windows-1252 text ("Investorâ€™s")
    put back (`ingest.text.repair_mojibake`), when its text shows it (the metadata is
    repaired as it is read)."""
    text = repair_mojibake(article.text)
    if text == article.text:
        return article
    return replace(
        article,
        text=text,
        blocks=tuple(
            Block(repair_mojibake(b.text), b.kind, repair_mojibake(b.html), b.link_density)
            for b in article.blocks
        ),
        removed=tuple(Removed(r.reason, repair_mojibake(r.text)) for r in article.removed),
    )


def article_from_blocks(
    blocks: list[Block],
    title: str | None,
    pruned: Sequence[Removed] = (),
    language: str | None = None,
    author: str | None = None,
) -> Article:
    """The article these blocks make, cleaned, with no metadata but its title and its
    language (the declared `language`, else a guess from its text); a wall when it is one
    (see `ingest.extract.walls`). `pruned`: what extraction took out of its container,
    recorded first."""
    blocks, title_removed = _without_title(blocks, title)
    cleaned = clean_blocks(blocks, author)
    wall = wall_reason([block.text for block in cleaned.blocks])
    if wall is Wall.EMPTY and blocks:  # cleaning took all of it: what was it?
        wall = wall_reason([block.text for block in blocks]) or Wall.EMPTY
    return Article(
        title=title,
        author=None,
        published=None,
        language=language or guess_language(cleaned.text),
        canonical_url=None,
        site_name=None,
        lead_image=None,
        text=cleaned.text,
        blocks=cleaned.blocks,
        removed=(*pruned, *title_removed, *cleaned.removed),
        wall=wall,
    )


def _without_title(
    blocks: list[Block], title: str | None
) -> tuple[list[Block], tuple[Removed, ...]]:
    """The article's title is metadata, not body: drop a heading that repeats it."""
    if not title:
        return blocks, ()
    key = normalise(title)
    for i, block in enumerate(blocks[:5]):
        if block.kind == BlockKind.HEADING and normalise(block.text) == key:
            return blocks[:i] + blocks[i + 1 :], (Removed(RemovalReason.DUPLICATE, block.text),)
    return blocks, ()


def render_html(blocks: tuple[Block, ...] | list[Block]) -> str:
    parts: list[str] = []
    in_list = False
    for block in blocks:
        if block.kind == BlockKind.LIST_ITEM and not in_list:
            parts.append("<ul>")
        elif block.kind != BlockKind.LIST_ITEM and in_list:
            parts.append("</ul>")
        in_list = block.kind == BlockKind.LIST_ITEM
        parts.append(block.html or f"<p>{escape(block.text)}</p>")
    if in_list:
        parts.append("</ul>")
    return sanitise_html("\n".join(parts))
