"""Lexbor's numbers for the tags the extractor tells apart.

`node.tag` decodes the tag's name into a new string on each call, where `node.tag_id` reads
a number off the node in a third of the time; extraction asks a page for its nodes' tags
thousands of times. The standard tags' numbers are Lexbor's constants, read here once from
nodes made for them (a custom element's number differs from page to page, and matches none
of them).
"""

from __future__ import annotations

from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser

_MAKER = LexborHTMLParser("<p>text<!--comment--></p>")


def tag_id(name: str) -> int:
    return _MAKER.create_node(name).tag_id


def tag_ids(names: Iterable[str]) -> frozenset[int]:
    return frozenset(map(tag_id, names))


def _kinds() -> tuple[int, int]:
    paragraph = _MAKER.css_first("p")
    text = paragraph.first_child if paragraph is not None else None
    comment = text.next if text is not None else None
    if text is None or comment is None:
        raise RuntimeError("Lexbor did not parse a text and a comment node")
    return text.tag_id, comment.tag_id


TEXT, COMMENT = _kinds()
"""The numbers of a text node and of a comment (`node.tag` "-text" and "-comment")."""
A = tag_id("a")
BR = tag_id("br")
