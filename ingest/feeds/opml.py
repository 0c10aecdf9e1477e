"""OPML subscription lists in and out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from ingest.errors import FeedParseError
from ingest.feeds.parse import strip_doctype
from ingest.text import one_line
from ingest.types import Subscription


class OpmlError(FeedParseError):
    """The document could not be read as an OPML subscription list."""


def subscriptions(document: bytes) -> list[Subscription]:
    """Every outline with an `xmlUrl`, in order, each URL once, with its title and its
    category: the folders it sits in (outlines without a URL), as "News/World" (DTDs are
    never expanded)."""
    try:
        root = ET.fromstring(strip_doctype(document))
    except ET.ParseError as exc:
        raise OpmlError(f"not a readable OPML file: {exc}") from None
    body = root.find("body")
    found: dict[str, Subscription] = {}
    # Depth first, in document order, with a stack of the folders' outlines still to read:
    # a list may nest folders thousands deep, past Python's recursion limit.
    top = body if body is not None else root
    stack: list[tuple[Iterator[ET.Element], tuple[str, ...]]] = [(iter(top.findall("outline")), ())]
    while stack:
        outlines, folders = stack[-1]
        outline = next(outlines, None)
        if outline is None:
            stack.pop()
            continue
        name = one_line(outline.get("title") or outline.get("text") or "") or None
        url = (outline.get("xmlUrl") or "").strip()
        if url:
            if url not in found:
                found[url] = Subscription(url, name, "/".join(folders) or None)
        else:
            inner = (*folders, name) if name and len(folders) < MAX_FOLDERS else folders
            stack.append((iter(outline.findall("outline")), inner))
    return list(found.values())


MAX_FOLDERS = 16
"""Folders in folders a category keeps, at most ("News/World/..."): deeper ones are
read for their feeds, under the sixteenth."""


def feed_urls(document: bytes) -> list[str]:
    return [s.url for s in subscriptions(document)]


@dataclass
class _Folder:
    feeds: list[Subscription] = field(default_factory=list)
    folders: dict[str, _Folder] = field(default_factory=dict)


def export(feeds: list[Subscription]) -> str:
    """Feeds in folders by category (a category "News/World" is a folder in a folder);
    well-formed XML whatever the titles hold: control characters, which XML 1.0 does not
    allow even escaped, are dropped."""
    top = _Folder()
    for feed in feeds:
        folder = top
        for name in [part for part in (feed.category or "").split("/") if part][:MAX_FOLDERS]:
            folder = folder.folders.setdefault(name, _Folder())
        folder.feeds.append(feed)
    outlines = "\n".join(_outlines(top, 2))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<opml version="2.0">\n'
        "  <head><title>feed-ingest subscriptions</title></head>\n"
        f"  <body>\n{outlines}\n  </body>\n</opml>\n"
    )


def _outlines(folder: _Folder, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [
        f'{pad}<outline type="rss" text={quoteattr(one_line(feed.title or feed.url))} '
        f"xmlUrl={quoteattr(one_line(feed.url))}/>"
        for feed in folder.feeds
    ]
    for name, inner in folder.folders.items():
        lines.append(f"{pad}<outline text={quoteattr(one_line(name))}>")
        lines += _outlines(inner, depth + 1)
        lines.append(f"{pad}</outline>")
    return lines
