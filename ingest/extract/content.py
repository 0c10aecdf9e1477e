"""Finding an article's main content in a page, by structure rather than by site.

1. Remove what is never article text (scripts, forms, navigation, asides, hidden nodes) and
   nodes whose class or id says they are comments, sharing, related links, ads and the like,
   unless they hold most of the page's text (a `<body class="has-sidebar">` stays).
2. Score containers by the paragraphs they hold (length, commas), parent and grandparent,
   weighted by tag and class/id hints, discounted by link density (a footer's, a
   navigation's or an aside's paragraphs never score); take the best, with the siblings
   that score close to it (an article split around an ad). The choice checks itself
   against where the page's paragraphs are: a box holding less than half of them widens
   to the wrapper that holds the rest (an article in one box per section).
3. Walk the chosen nodes in order and emit blocks: paragraphs (also bare text runs in
   `<div>`s), headings, list items, block quotes, preformatted text and tables.

Most of the work runs inside the Lexbor parser (CSS matching, node removal, text
extraction); Python touches only paragraphs, candidates and the chosen subtree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache, partial
from html import escape
from itertools import islice
from typing import NamedTuple

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.extract import tags
from ingest.extract.clean import RELATED_LINK_DENSITY
from ingest.text import containing_any, ends_sentence
from ingest.types import Block, BlockKind, RemovalReason, Removed

NEVER_CONTENT = [
    "script",
    "style",
    "noscript",
    "iframe",
    "svg",
    "template",
    "button",
    "select",
    "textarea",
    "input",
    "nav",
    "aside",
    "footer",
    "object",
    "embed",
    "canvas",
    "dialog",
    "menu",
    "link",
    "meta",
    "figcaption",
    "video",
    "audio",
    "map",
]
NEVER_CONTENT_IDS = tags.tag_ids(NEVER_CONTENT)
NEGATIVE_HINTS = [
    "comment",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "newsletter",
    "subscri",
    "promo",
    "advert",
    "sponsor",
    "sidebar",
    "widget",
    "popup",
    "modal",
    "cookie",
    "banner",
    "breadcrumb",
    "pagination",
    "outbrain",
    "taboola",
    "disqus",
    "toolbar",
    "caption",
    "signup",
    "sign-up",
    "most-popular",
    "mostpopular",
    "trending",
    "read-more",
    "readmore",
    "more-stories",
    "author-bio",
    "authorbio",
    "byline",
    "dateline",
    "tag-list",
    "taglist",
    "skip-link",
    "visually-hidden",
    "sr-only",
    "screen-reader",
    "print-only",
    "copyright",
]
HIDDEN = [
    "[hidden]",
    '[style*="display:none" i]',
    '[style*="display: none" i]',
    '[aria-hidden="true"]',
]
HIDDEN_SELECTOR = ", ".join(HIDDEN)  # (`_hidden` reads the same for one node)
PROTECTED = {"html", "body", "main", "article"}
# Class and id hints, matched against lowercased values (re.I is several times slower).
MAYBE_CONTENT = re.compile(r"article|body|content|main|story|entry|column|post-?text")
POSITIVE_CLASS = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|prose"
)
NEGATIVE_CLASS = re.compile(
    r"combx|comment|com-|contact|foot|footer|footnote|masthead|media|meta|outbrain|promo|"
    r"related|scroll|shoutbox|sidebar|sponsor|shopping|tags|tool|widget|nav|menu|teaser|card"
)
TAG_WEIGHT = {
    "div": 5,
    "article": 10,
    "main": 5,
    "section": 3,
    "pre": 3,
    "td": 3,
    "blockquote": 3,
    "form": -3,
    "ol": -3,
    "ul": -3,
    "dl": -3,
    "dd": -3,
    "dt": -3,
    "li": -3,
    "address": -3,
    "h1": -5,
    "h2": -5,
    "h3": -5,
    "h4": -5,
    "h5": -5,
    "h6": -5,
    "th": -5,
    "header": -5,
}
MIN_PARAGRAPH = 25
HEADINGS = {f"h{level}" for level in range(1, 7)}
BLOCKS_IN_DIV = frozenset(
    {"div", "p", "ul", "ol", "dl", "table", "section", "article", "blockquote", "pre", "li"}
    | HEADINGS
)
BLOCKS_IN_DIV_IDS = tags.tag_ids(BLOCKS_IN_DIV)
LEAF_DIV = f"div:not(:has({', '.join(sorted(BLOCKS_IN_DIV))}))"

BLOCK_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "pre",
    "table",
    "dd",
    "dt",
    "address",
}
CONTAINER_TAGS = {
    "div",
    "section",
    "article",
    "main",
    "ul",
    "ol",
    "dl",
    "header",
    "figure",
    "center",
    "tbody",
    "thead",
    "tr",
    "td",
    "th",
    "details",
    "summary",
    "body",
    "hgroup",
    "picture",
}
# Table cells too, for a layout table's cells of bare text; a cell that holds blocks is told
# in Python (a `:has` on cells costs the square of the depth of nested tables).
BLOCK_SELECTOR = "p, h1, h2, h3, h4, h5, h6, li, blockquote, pre, table, dd, dt, address, td, " + (
    LEAF_DIV
)
COVERED = 0.8
SMALL_NODE = 1000  # characters of text
BLOCK_KINDS = {
    "li": BlockKind.LIST_ITEM,
    "dd": BlockKind.LIST_ITEM,
    "dt": BlockKind.LIST_ITEM,
    "blockquote": BlockKind.QUOTE,
} | dict.fromkeys(HEADINGS, BlockKind.HEADING)
CAN_HOLD_BLOCKS = {"blockquote", "li", "table", "dd", "dt", "address"}
BLOCKISH_INSIDE = frozenset(
    ["p", "div", "li", "h2", "h3", "h4", "ul", "ol", "table", "blockquote", "section"]
)
BLOCKISH_INSIDE_IDS = tags.tag_ids(BLOCKISH_INSIDE)
TABLE_LAYOUT_INSIDE_IDS = tags.tag_ids(["table", "p", "div", "h2", "h3", "ul"])
ITEM_PARAGRAPH_IDS = tags.tag_ids(["p", "li", "div"])
BLOCK_TAG_IDS = tags.tag_ids(BLOCK_TAGS)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _text_length(node: LexborNode) -> int:
    """About len(_clean(node's text)): its text nodes but the blank ones (the markup's
    indentation), joined in C (within 5% on average; stripping each text node costs half
    as much again, cleaning the whole text twice as much)."""
    return len(node.text(deep=True, skip_empty=True))


def _clean_length(text: str) -> int:
    words = text.split()
    return sum(map(len, words)) + len(words) - 1 if words else 0


def _longer_than(node: LexborNode, length: int) -> bool:
    """_text_length(node) > length; cleaning only takes away, so a short raw text is
    short without cleaning."""
    text = node.text(deep=True)
    return len(text) > length and _clean_length(text) > length


def _link_density(node: LexborNode, length: int | None = None) -> float:
    """Share of the node's text (of `length` characters when known) that is link text."""
    if length is not None and length < SMALL_NODE:
        # A walk in Python costs less than a CSS query's setup for a paragraph's few
        # descendants, and more for a container's hundreds.
        anchors = [element for element in node.traverse() if element.tag_id == tags.A]
    else:
        anchors = node.css("a")
    links = sum(len(a.text(deep=True).strip()) for a in anchors)
    if not links:
        return 0.0
    total = _text_length(node) if length is None else length
    return min(1.0, links / total) if total else 0.0


def _class_weight(node: LexborNode) -> int:
    if not node.is_element_node:
        return 0
    return _hint_weight(node.attrs.get("class"), node.id)


@lru_cache(maxsize=4096)
def _hint_weight(*values: str | None) -> int:
    """-25 per negative hint, +25 per positive hint in a class or id (cached: pages of one
    site repeat the same class names)."""
    weight = 0
    for value in values:
        if value:
            value = value.lower()
            if NEGATIVE_CLASS.search(value):
                weight -= 25
            if POSITIVE_CLASS.search(value):
                weight += 25
    return weight


def _hint_key(node: LexborNode) -> str:
    """The node's class and id, lower-cased: where its hints are looked for."""
    if not node.is_element_node:
        return " "
    # (`attrs` looks up one attribute; `attributes` copies them all.)
    return f"{node.attrs.get('class') or ''} {node.id or ''}".lower()


def _negative_nodes(root: LexborNode) -> list[LexborNode]:
    """Nodes whose class or id contains a negative hint, in document order (an outer node
    before those inside it).

    A CSS selector per hint makes Lexbor test every element against ~100 substring
    selectors, and a regex alternation per element is no faster; so the hints are looked
    for in the page's distinct class/id strings all at once, in those not seen before.
    """
    nodes = root.css("[class], [id]")
    keys = [_hint_key(node) for node in nodes]
    known = _negative_known
    if len(known) > KNOWN_KEYS:
        known.clear()
    new = [key for key in dict.fromkeys(keys) if key not in known]
    if new:
        hit = containing_any(new, NEGATIVE_HINTS)
        known.update((key, index in hit) for index, key in enumerate(new))
    return [node for node, key in zip(nodes, keys, strict=True) if known.get(key)]


# Whether a lower-cased class/id string holds a negative hint, for the strings seen: a page
# asks about the same strings several times (its wrapper's children one by one, then the
# chosen subtree), and a site's pages about its own few hundred.
_negative_known: dict[str, bool] = {}
KNOWN_KEYS = 16384


def _negative_key(key: str) -> bool:
    """Whether a lower-cased class/id string holds a negative hint."""
    found = _negative_known.get(key)
    if found is None:
        found = _negative_known[key] = any(hint in key for hint in NEGATIVE_HINTS)
    return found


_RELATED_HINTS = (
    "related",
    "recommend",
    "outbrain",
    "taboola",
    "popular",
    "trending",
    "read-more",
    "readmore",
    "more-stories",
)
_COMMENT_HINTS = ("comment", "disqus")
_UNSEEN_HINTS = ("sr-only", "visually-hidden", "screen-reader", "skip-link", "print-only")
RECORDED_CHARS = 2000  # of a pruned node's text, in its record (a comment thread runs long)


def _pruned_reason(key: str) -> RemovalReason:
    if any(hint in key for hint in _RELATED_HINTS):
        return RemovalReason.RELATED
    if any(hint in key for hint in _COMMENT_HINTS):
        return RemovalReason.COMMENTS
    return RemovalReason.BOILERPLATE


def prune(root: LexborNode) -> list[Removed]:
    """Detach what is never article text from the chosen subtree: scripts, forms and
    navigation, hidden nodes, and nodes whose class or id says they are sharing widgets,
    related links, ads and the like, unless that node holds most of the text. The nodes
    detached for their class or id, text and all, are returned as removals with the reason
    it gives (related links, comments, or boilerplate), for the article's audit."""
    # One match-all walk filtered here costs a third of matching the 24 tag selectors.
    for node in root.css("*"):
        if node.tag_id in NEVER_CONTENT_IDS:
            node.remove()  # detach, not destroy: descendants stay valid objects
    total = len(root.text(deep=True)) or 1
    hidden_nodes = root.css(HIDDEN_SELECTOR)
    hidden = {node.mem_id for node in hidden_nodes}
    negative = _negative_nodes(root)
    if negative:
        negative = _outside_code(root, negative)
    lengths = {node.mem_id: len(node.text(deep=True)) for node in negative}
    template = _template_tokens(negative, lengths, total)
    removed: list[Removed] = []
    detached: set[int] = set()
    for node in [*negative, *hidden_nodes]:
        if node.parent is None or node.mem_id == root.mem_id:
            continue
        if _inside_any(node, detached, root.mem_id):
            continue  # gone with the node around it
        key = _hint_key(node)
        if MAYBE_CONTENT.search(key):
            continue  # "article share-bar" is unclear; "box article modal" is the article
        if node.mem_id not in hidden and _hints_name_own_text(node, key):
            continue  # a heading's anchor: id="what-share-of-teens-vote"
        length = lengths.get(node.mem_id)
        if length is None:
            length = len(node.text(deep=True))
        if length > 0.5 * total:
            continue  # a wrapper of most of the text, whatever its class says
        unseen = node.mem_id in hidden or any(hint in key for hint in _UNSEEN_HINTS)
        if not unseen and _structure(node, template):
            continue
        if not unseen and (record := _recorded(node)):
            removed.append(Removed(_pruned_reason(key), record))
        detached.add(node.mem_id)
        node.remove()
    return removed


def _outside_code(root: LexborNode, nodes: list[LexborNode]) -> list[LexborNode]:
    """The nodes that are not inside code: a syntax highlighter's classes ("token comment",
    "hljs-comment", "c1") mark the parts of a program, not boilerplate."""
    code = root.css("pre, code")
    if not code:
        return nodes
    inside: set[int] = set()
    for block in code:
        if block.mem_id not in inside:
            inside.update(node.mem_id for node in block.traverse())
    return [node for node in nodes if node.mem_id not in inside]


@lru_cache(maxsize=4096)
def _hinted_tokens(cls: str | None) -> tuple[str, ...]:
    """The words of a class attribute that hold a negative hint, lower-cased."""
    return tuple(token for token in (cls or "").lower().split() if _negative_key(token))


def _template_tokens(negative: list[LexborNode], lengths: dict[int, int], total: int) -> set[str]:
    """Class words with a negative hint whose nodes together hold most of the text: a page
    builder's structure ("elementor-widget" on each part of the article), not boilerplate.
    Comments and related links are never structure, however long."""
    held: dict[str, int] = {}
    for node in negative:
        for token in _hinted_tokens(node.attributes.get("class")):
            held[token] = held.get(token, 0) + lengths[node.mem_id]
    return {
        token
        for token, length in held.items()
        if length > 0.5 * total and _pruned_reason(token) is RemovalReason.BOILERPLATE
    }


def _structure(node: LexborNode, template: set[str]) -> bool:
    """Whether the node's negative hints are all template words (none in its id)."""
    attrs = node.attributes
    tokens = _hinted_tokens(attrs.get("class"))
    if not tokens or not all(token in template for token in tokens):
        return False
    node_id = attrs.get("id")
    return not (node_id and _negative_key(node_id.lower()))


def _around_cells(body: LexborNode) -> set[int]:
    """The nodes that hold a table cell: each cell's ancestors, marked once (a walk up
    stops at the first one already marked, so it costs one step per node at most)."""
    marked: set[int] = set()
    for cell in body.css("td"):
        node = cell.parent
        while node is not None and node.mem_id not in marked:
            marked.add(node.mem_id)
            node = node.parent
    return marked


OUTSIDE_ARTICLE = "footer, nav, aside"
OUTSIDE_SHARE = 0.5  # of the page's text: past it, a "footer" is the page's wrapper
OUTSIDE_MIN_CHARS = 1000  # a footer or aside shorter than this is nobody's wrapper
PARAGRAPH_NODES = "p, pre, td"
TEXT_RUN_NODES = "div, section, article, span:has(> br)"  # text of their own, maybe in runs
SCORING = f"{PARAGRAPH_NODES}, {TEXT_RUN_NODES}"  # the nodes that may score


def _not_outside(selectors: str) -> str:
    """Each of the list's selectors, for nodes in no footer, navigation or aside. (Lexbor
    gets `:is(footer, nav, aside) *` wrong past a node's parent, and this form right.)"""
    outside = ", ".join(f"{tag} *" for tag in OUTSIDE_ARTICLE.split(", "))
    return ", ".join(f"{selector}:not({outside})" for selector in selectors.split(", "))


PARAGRAPHS_NOT_OUTSIDE = _not_outside(PARAGRAPH_NODES)
TEXT_RUNS_NOT_OUTSIDE = _not_outside(TEXT_RUN_NODES)


def scoring_nodes(body: LexborNode) -> tuple[list[LexborNode], list[LexborNode]]:
    """The paragraphs (`PARAGRAPH_NODES`) and the nodes that may hold text runs
    (`TEXT_RUN_NODES`) that are not in a page's footer, navigation or aside: whatever they
    hold, a footer's text, a sidebar's post or a menu's, is not the article's, and may not
    score (one long paragraph of legal text outscores a short article). A wrapper of most
    of the page's text is the page itself, whatever its tag."""
    roots = body.css(OUTSIDE_ARTICLE)
    if not roots:
        return body.css(PARAGRAPH_NODES), body.css(TEXT_RUN_NODES)
    total: int | None = None  # the page's text, measured only for a root that may hold most
    wrappers: set[int] = set()
    for root in roots:
        length = _text_length(root)  # (of a nested root, too: cheaper than telling it is one)
        if length > OUTSIDE_MIN_CHARS:
            total = _text_length(body) if total is None else total
            if length > OUTSIDE_SHARE * total:
                wrappers.add(root.mem_id)
    if not wrappers:  # the common case: Lexbor leaves them out
        return body.css(PARAGRAPHS_NOT_OUTSIDE), body.css(TEXT_RUNS_NOT_OUTSIDE)
    inside: set[int] = set()
    for root in roots:
        if root.mem_id not in wrappers:
            inside.update(node.mem_id for node in root.css(SCORING))
    return (
        [node for node in body.css(PARAGRAPH_NODES) if node.mem_id not in inside],
        [node for node in body.css(TEXT_RUN_NODES) if node.mem_id not in inside],
    )


Paragraphs = list[tuple[LexborNode, int]]  # each scoring paragraph's holder, its length


def _candidates(body: LexborNode) -> tuple[dict[int, tuple[LexborNode, float]], Paragraphs]:
    """Scores of the nodes that hold paragraphs, and the paragraphs that scored."""
    nodes: dict[int, LexborNode] = {}
    points: dict[int, float] = {}
    up: dict[int, int | None] = {}  # each holder's parent, if it may score
    paragraphs: Paragraphs = []

    def enter(node: LexborNode) -> int | None:
        """The node's key, its score started from its tag and class (None: it never
        scores)."""
        key = node.mem_id
        if key not in points:
            tag = node.tag
            if tag in (None, "html", "-document"):
                return None
            nodes[key] = node
            points[key] = TAG_WEIGHT.get(tag or "", 0) + _class_weight(node)
        return key

    def credit(holder: LexborNode | None, text: str) -> None:
        """A paragraph of `text` in `holder`: points to it and half as many to its parent.
        Most paragraphs share their holder with others, so its parent is looked up once."""
        if holder is None:
            return
        paragraphs.append((holder, len(text)))
        commas = text.count(",")
        if not text.isascii():  # (a constant-time check) commas of other scripts
            commas += text.count("،") + text.count("，") + text.count("、")
        gained = 1 + commas + min(len(text) // 100, 3)
        key = holder.mem_id
        if key in up:
            parent_key = up[key]
        else:
            if enter(holder) is None:
                up[key] = None
                return
            parent = holder.parent
            parent_key = up[key] = enter(parent) if parent is not None else None
        if key in points:
            points[key] += gained
        if parent_key is not None:
            points[parent_key] += gained / 2

    def credit_runs(node: LexborNode) -> None:
        """Each run of `node`'s own text (between <br>s and blocks) is a paragraph."""
        parts: list[str] = []
        for child in node.iter(include_text=True):
            kind = child.tag_id
            if kind == tags.BR or kind in BLOCKS_IN_DIV_IDS:
                flush(node, parts)
            elif kind == tags.TEXT:
                parts.append(child.text(deep=False))
            elif kind != tags.COMMENT:
                parts.append(child.text(deep=True))
        flush(node, parts)

    def flush(node: LexborNode, parts: list[str]) -> None:
        text = _clean("".join(parts))
        parts.clear()
        if len(text) >= MIN_PARAGRAPH:
            credit(node, text)

    around_cells = _around_cells(body)
    scoring, text_runs = scoring_nodes(body)
    for paragraph in scoring:
        if paragraph.mem_id in around_cells:
            # A node around table cells (a layout cell, a quirks-mode <p> around a table):
            # the cells score it. Its whole text again would count them twice and, with
            # tables nested deep, take time that grows with the square of the depth.
            continue
        text = paragraph.text(deep=True).strip()
        if len(text) >= MIN_PARAGRAPH:
            credit(paragraph.parent, text)
    # Text straight inside a <div> (no <p>): a leaf <div> is a paragraph itself; a <div>
    # (or a <span> with <br>-separated runs: a div's kind) mixing text runs with <br> and
    # blocks holds paragraphs, so it is the container, each run a paragraph.
    for div in text_runs:
        if not div.text(deep=False, skip_empty=True):
            continue  # no text of its own, the common case: told without copying whitespace
        direct = div.text(deep=False).strip()
        if len(direct) < MIN_PARAGRAPH or len(direct := _clean(direct)) < MIN_PARAGRAPH:
            continue
        if div.tag == "div" and not _has_descendant(div, BLOCKS_IN_DIV_IDS):
            credit(div.parent, div.text(deep=True).strip())
        else:
            credit_runs(div)
    return {key: (nodes[key], score) for key, score in points.items()}, paragraphs


def main_nodes(body: LexborNode) -> list[LexborNode]:
    """The node (and close-scoring siblings) that hold the article's text, in order; plus
    the other parts of the same template (an article body split into several containers
    with the same tag and class around ads or embeds), taken through the node that holds
    them all (`_around_parts`); or, when all those hold only a part of the page's
    paragraphs, the node that holds the article whole (`_wider`)."""
    scores, paragraphs = _candidates(body)
    if not scores:
        return [body]
    chosen, split = _chosen(body, scores)
    wider = _wider(chosen, paragraphs)
    if wider is not None:
        return [wider]
    return _around_parts(chosen) if split else chosen


def _chosen(
    body: LexborNode, scores: dict[int, tuple[LexborNode, float]]
) -> tuple[list[LexborNode], bool]:
    """The nodes that hold the article, and whether they are parts of one template."""
    best, best_score = _best_candidate(scores)
    with_siblings = _with_siblings(best, best_score, scores)
    parts = _same_template(body, best)
    if len(parts) < 2:
        sections = _sections(best)
        return (sections if sections is not None else with_siblings), False
    threshold = max(10.0, best_score * 0.1)
    kept = [
        part
        for part in parts
        if part.mem_id == best.mem_id
        or (
            (scored := scores.get(part.mem_id)) is not None
            and scored[1] * (1 - _link_density(part)) >= threshold
        )
    ]
    if len(kept) < 2:
        return with_siblings, False
    in_thread = _in_threads(kept)
    if all(in_thread):
        in_thread = [False] * len(kept)
    chosen: list[LexborNode] = []
    for part, threaded in zip(kept, in_thread, strict=True):
        if not threaded:
            chosen.extend(with_siblings if part.mem_id == best.mem_id else [part])
    return chosen, True


THREAD_PARTS = 64  # parts of one template past which their wrappers are not looked at
PARTS_SHARE = 3  # of the parts' text, at most, in the node around them


def _around_parts(parts: list[LexborNode]) -> list[LexborNode]:
    """The node that holds all the parts of an article split into one template's boxes,
    and so what stands between them and scored nothing (a section's heading outside its
    text's box, a list, a figure), when it is below the body, reads as text (not a list of
    links) and holds at most `PARTS_SHARE` times their text; else the parts. A share bar
    or an ad between them is pruned and cleaned away as in any container."""
    if len(parts) < 2:
        return parts
    first, _, top = _ways_up(parts)
    holder = first[top] if top < len(first) else None
    if holder is None or holder.tag in ("body", "html"):
        return parts
    length = _text_length(holder)
    if length > PARTS_SHARE * sum(map(_text_length, parts)):
        return parts
    return [holder] if _link_density(holder, length) <= WIDEN_LINK_DENSITY else parts


def _ways_up(
    parts: list[LexborNode],
) -> tuple[list[LexborNode], list[tuple[list[LexborNode], int]], int]:
    """The first part's ancestors (its parent first); for each part, its own ancestors
    below where it meets those and the level it meets them at; and the highest of those
    levels, that of the first ancestor that holds all the parts (`len(first)`: none
    does). Each part walks up only until it meets the first part's way."""
    first: list[LexborNode] = []
    node = parts[0].parent
    while node is not None:
        first.append(node)
        node = node.parent
    index = {node.mem_id: level for level, node in enumerate(first)}
    walks: list[tuple[list[LexborNode], int]] = [([], 0)]
    top = 0
    for part in parts[1:]:
        own: list[LexborNode] = []
        node = part.parent
        while node is not None and node.mem_id not in index:
            own.append(node)
            node = node.parent
        meet = index[node.mem_id] if node is not None else len(first)
        walks.append((own, meet))
        top = max(top, meet)
    return first, walks, top


def _in_threads(parts: list[LexborNode]) -> list[bool]:
    """For each node of one template, whether it sits in a comment thread or a list of
    related stories: a wrapper between it and what all of them share says so by its class
    or id (a forum-like theme gives each comment's body the article body's class)."""
    if len(parts) > THREAD_PARTS:
        return [False] * len(parts)
    first, walks, top = _ways_up(parts)
    threads: dict[int, bool] = {}  # wrappers the parts share are looked at once

    def is_thread(node: LexborNode) -> bool:
        key = node.mem_id
        if key not in threads:
            reason = _key_reason(_hint_key(node))
            threads[key] = reason in (RemovalReason.COMMENTS, RemovalReason.RELATED)
        return threads[key]

    return [any(map(is_thread, own)) or any(map(is_thread, first[meet:top])) for own, meet in walks]


WIDEN_LEVELS = 12  # wrappers climbed from the chosen nodes to find the whole article
WIDEN_SHARE = 0.5  # of the page's paragraph text: less than this chosen is reconsidered
WIDEN_GAIN = 1.5  # a wider node holds at least this many times the chosen paragraph text
WIDEN_LINK_DENSITY = 0.3
HEAVY_SHARE = 0.8  # of the page's paragraph text, in the node that holds the article


def _wider(chosen: list[LexborNode], paragraphs: Paragraphs) -> LexborNode | None:
    """The whole article, when the nodes chosen hold only a part of it: they hold less than
    half of the page's paragraph text, and a wrapper up their chain holds at least half
    of it, and half as much again as they do, without turning into a list of links (each
    section of a long read or buying guide in its own box, say, which scored alone). The
    lowest such wrapper below the body is taken."""
    total = sum(length for _, length in paragraphs)
    if sum(map(_text_length, chosen)) >= WIDEN_SHARE * total:
        return None  # (their whole text is at least their paragraphs' text)
    chain: list[LexborNode] = []
    node = chosen[0].parent
    while node is not None and node.tag not in ("body", "html") and len(chain) < WIDEN_LEVELS:
        chain.append(node)
        node = node.parent
    if not chain:
        return _heaviest(paragraphs, total)
    levels: dict[int, int | None] = {node.mem_id: 0 for node in chosen}
    levels.update((node.mem_id, level) for level, node in enumerate(chain, 1))
    held = [0] * (len(chain) + 1)
    for holder, length in paragraphs:
        level = _level(holder, levels)
        if level is not None:
            held[level] += length
    within = held[0]
    for level, node in enumerate(chain, 1):
        within += held[level]
        if _link_density(node) > WIDEN_LINK_DENSITY:
            break
        if within >= WIDEN_SHARE * total and within >= WIDEN_GAIN * held[0]:
            return node
    return _heaviest(paragraphs, total)


def _heaviest(paragraphs: Paragraphs, total: int) -> LexborNode | None:
    """The deepest node below the body that holds most of the page's paragraph text,
    when it reads as text (not a list of links): the article, found by where the
    page's paragraphs are rather than by which box scored best (a footer's one long
    paragraph, a cookie dialog's, outscoring an article of many short ones).

    Each node above a paragraph is visited once (the walk up stops at a node seen), and
    the text held is summed from the deepest nodes up: no paragraph walks its whole chain
    of ancestors, which on deeply nested markup would cost paragraphs times depth."""
    held: dict[int, int] = {}
    nodes: dict[int, LexborNode] = {}
    up: dict[int, int | None] = {}  # each node's parent below the body (None: the top)
    for holder, length in paragraphs:
        if holder.tag in ("body", "html"):
            continue
        held[holder.mem_id] = held.get(holder.mem_id, 0) + length
        node = holder
        while node.mem_id not in up:
            parent = node.parent
            nodes[node.mem_id] = node
            if parent is None or parent.tag in ("body", "html"):
                up[node.mem_id] = None
                break
            up[node.mem_id] = parent.mem_id
            node = parent
    depth: dict[int, int] = {}
    for key in up:
        chain: list[int] = []
        at: int | None = key
        while at is not None and at not in depth:
            chain.append(at)
            at = up[at]
        level = -1 if at is None else depth[at]
        for item in reversed(chain):
            level += 1
            depth[item] = level
    for key in sorted(up, key=depth.__getitem__, reverse=True):  # children before parents
        parent_key = up[key]
        if parent_key is not None:
            held[parent_key] = held.get(parent_key, 0) + held.get(key, 0)
    heavy = [key for key, length in held.items() if length >= HEAVY_SHARE * total]
    if not heavy:
        return None
    deepest = nodes[max(heavy, key=depth.__getitem__)]
    return deepest if _link_density(deepest) <= WIDEN_LINK_DENSITY else None


def _level(node: LexborNode, levels: dict[int, int | None]) -> int | None:
    """The level of the first node of `levels` at or above `node` (None: none is), noted
    for every node on the way up, so that paragraphs with the same ancestors walk once."""
    path: list[int] = []
    current: LexborNode | None = node
    level: int | None = None
    while current is not None:
        key = current.mem_id
        if key in levels:
            level = levels[key]
            break
        path.append(key)
        current = current.parent
    levels.update(dict.fromkeys(path, level))
    return level


SECTION_LEVELS = 8  # wrappers climbed from the best node to find the article's sections
SECTION_GAIN = 2.0  # the sections together hold at least this many times the best's text
SECTION_LINK_DENSITY = 0.3


def _first_class(node: LexborNode) -> str:
    return (node.attributes.get("class") or "").split(" ", 1)[0]


def _sections(best: LexborNode) -> list[LexborNode] | None:
    """An article that a page builder split into sections: the best node sits in a chain
    of wrappers, and some wrapper up the chain has siblings of its own template (the same
    tag and first class). Those siblings that read as text (not link lists) are the rest
    of the article, when together they hold much more text than the best node alone; the
    first level up where they do is taken."""
    node = best
    own = _text_length(best)
    for _ in range(SECTION_LEVELS):
        parent = node.parent
        if parent is None or parent.tag in ("body", "html", "main"):
            return None
        tag, cls = node.tag, _first_class(node)
        kin = [
            child
            for child in parent.iter()
            if child.tag == tag and _first_class(child) == cls and child.mem_id != node.mem_id
        ]
        if len(kin) >= 2 and cls:
            keep = {node.mem_id}
            for child in kin:
                length = _text_length(child)
                if length > 100 and _link_density(child, length) < SECTION_LINK_DENSITY:
                    keep.add(child.mem_id)
            chosen = [child for child in parent.iter() if child.mem_id in keep]
            if len(chosen) > 1 and sum(map(_text_length, chosen)) >= SECTION_GAIN * own:
                return chosen
        node = parent
    return None


def _best_candidate(
    scores: dict[int, tuple[LexborNode, float]],
) -> tuple[LexborNode, float]:
    """The highest score once discounted by link density. Link density is costly on big
    nodes, so candidates are taken best first and the search stops as soon as no
    undiscounted score can beat the best discounted one."""
    best: tuple[LexborNode, float] | None = None
    for node, score in sorted(scores.values(), key=lambda item: item[1], reverse=True)[:5]:
        if best is not None and score <= best[1]:
            break
        adjusted = score * (1 - _link_density(node))
        if best is None or adjusted > best[1]:
            best = (node, adjusted)
    assert best is not None
    return best


_PLAIN_CLASS = re.compile(r"[\w -]+")


def _same_template(body: LexborNode, best: LexborNode) -> list[LexborNode]:
    """Nodes with exactly the best node's tag and class, in document order. A selector is
    built from the class only when it holds nothing but word characters, spaces and
    hyphens (a newline, a quote or a backslash would break it); other classes are matched
    in Python, which costs twice as much."""
    cls = best.attributes.get("class")
    tag = best.tag
    if not cls or tag not in ("div", "section", "article"):
        return [best]
    if _PLAIN_CLASS.fullmatch(cls):
        return list(body.css(f'{tag}[class="{cls}"]'))
    return [node for node in body.css(tag) if node.attributes.get("class") == cls]


def _with_siblings(
    best: LexborNode, best_score: float, scores: dict[int, tuple[LexborNode, float]]
) -> list[LexborNode]:
    parent = best.parent
    if parent is None:
        return [best]
    threshold = max(10.0, best_score * 0.2)
    chosen: list[LexborNode] = []
    for sibling in parent.iter():
        if sibling.mem_id == best.mem_id:
            chosen.append(sibling)
            continue
        scored = scores.get(sibling.mem_id)
        if scored is not None and scored[1] * (1 - _link_density(sibling)) >= threshold:
            chosen.append(sibling)
        elif sibling.tag == "p":
            text = _clean(sibling.text(deep=True))
            density = _link_density(sibling, len(text))
            if (len(text) > 80 and density < 0.25) or (
                0 < len(text) <= 80 and density == 0 and ends_sentence(text)
            ):
                chosen.append(sibling)
    return chosen


def _table_block(table: LexborNode, marks: _Marks) -> Block:
    rows = []
    text_of = _broken_text if table.mem_id in marks.hold_breaks else _deep_text
    for row in table.css("tr"):
        cells = [_clean(text_of(cell)) for cell in row.css("th, td")]
        cells = [c for c in cells if c]
        if cells:
            rows.append(" | ".join(cells))
    text = "\n".join(rows)
    markup = partial(_outer_html, table)
    density = _link_density(table, len(text)) if table.mem_id in marks.hold_links else 0.0
    return Block(text, BlockKind.TABLE, markup, density)


def _deep_text(node: LexborNode) -> str:
    return node.text(deep=True)


def _broken_text(node: LexborNode) -> str:
    """The node's text with a line break for each `<br>`, where Lexbor's text has nothing
    ("123 Main Street<br>Springfield" would read "123 Main StreetSpringfield")."""
    parts: list[str] = []
    for child in node.traverse(include_text=True):
        kind = child.tag_id
        if kind == tags.TEXT:
            parts.append(child.text(deep=False))
        elif kind == tags.BR:
            parts.append("\n")
    return "".join(parts)


def _element_block(node: LexborNode, marks: _Marks, tag: str | None = None) -> Block | None:
    """The block `node` makes (`tag`: its tag, when known)."""
    tag = tag or node.tag or ""
    key = node.mem_id
    if tag == "table":
        return _table_block(node, marks)
    if tag == "pre":
        text = (_broken_text(node) if key in marks.hold_breaks else node.text(deep=True)).strip(
            "\n"
        )
        markup = partial(_outer_html, node)
        return Block(text, BlockKind.PREFORMATTED, markup) if text.strip() else None
    held = tag in CAN_HOLD_BLOCKS and _has_descendant(node, ITEM_PARAGRAPH_IDS)
    if held:
        # A quote or an item of several paragraphs: their texts apart ("developer" and
        # "Read more" are two words, where the nodes' texts would run together).
        text = " ".join(block.text for block in iter_blocks(node, marks))
    else:
        text = _clean(node.text(deep=True))
    if not text:
        return None
    if not held and key in marks.hold_breaks:
        text = _clean(_broken_text(node))  # (the few blocks with a <br>: read again)
    density = _link_density(node, len(text)) if key in marks.hold_links else 0.0
    markup = partial(_paragraph_html if tag in ("div", "td") else _outer_html, node)
    return Block(text, BLOCK_KINDS.get(tag, BlockKind.PARAGRAPH), markup, density)


def _outer_html(node: LexborNode) -> str:
    return node.html or ""


def _paragraph_html(node: LexborNode) -> str:
    """A leaf `<div>` or a table cell of bare text, as the paragraph it is."""
    return f"<p>{node.inner_html or ''}</p>"


class _Marks(NamedTuple):
    """Where a subtree's links and line breaks are, told from one query (looking for "<a"
    and "<br" in each block's markup would serialise every block)."""

    hold_links: set[int]
    """The nodes that hold a link."""
    hold_breaks: set[int]
    """The nodes that hold a `<br>`."""
    in_links: set[int]
    """The block elements inside a link (cards of other stories)."""


def _marks(root: LexborNode) -> _Marks:
    """The links and line breaks under `root`, marked on their ancestors up to `root` (a
    walk up stops at the first node already marked, so each is marked once). Most links
    hold only their text, which a look at their first child tells; the block elements in
    the others are inside a link."""
    marks = _Marks(set(), set(), set())
    root_id = root.mem_id
    for found in root.css("a, br"):
        anchor = found.tag_id == tags.A
        held = marks.hold_links if anchor else marks.hold_breaks
        node = found.parent
        while node is not None and (key := node.mem_id) not in held:
            held.add(key)
            if key == root_id:
                break
            node = node.parent
        if anchor:
            first = found.child
            if first is not None and not (first.tag_id == tags.TEXT and first.next is None):
                marks.in_links.update(
                    n.mem_id for n in islice(found.traverse(), 1, None) if n.tag_id in BLOCK_TAG_IDS
                )
    return marks


class _Run:
    """Inline content between blocks (text in a `<div>`, say), gathered into a paragraph."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.html: list[str] = []
        self.link_chars = 0

    def add(self, text: str, html: str, link: bool = False) -> None:
        self.parts.append(text)
        self.html.append(html)
        if link:
            self.link_chars += len(_clean(text))

    def flush(self) -> Iterator[Block]:
        text = _clean("".join(self.parts))
        if text:
            html = "<p>" + "".join(self.html) + "</p>"
            yield Block(text, BlockKind.PARAGRAPH, html, min(1.0, self.link_chars / len(text)))
        self.parts, self.html, self.link_chars = [], [], 0


def _has_descendant(node: LexborNode, ids: frozenset[int]) -> bool:
    """Whether an element below `node` has one of these tags (`tags.tag_ids`). A walk that
    stops at the first is cheaper than a CSS query, whose parsing alone costs microseconds."""
    return any(found.tag_id in ids for found in islice(node.traverse(), 1, None))


def _is_table_for_layout(table: LexborNode) -> bool:
    return _has_descendant(table, TABLE_LAYOUT_INSIDE_IDS)


def _as_link(block: Block) -> Block:
    """A block inside a link (a card: `<a href><h3>Title</h3></a>`) is all link text."""
    return Block(block.text, block.kind, block.markup, 1.0)


def iter_blocks(
    node: LexborNode, marks: _Marks | None = None, linked: bool = False
) -> Iterator[Block]:
    """The blocks of `node`'s subtree, in document order (`marks`: its links and line
    breaks, when known; `linked`: inside a link)."""
    if marks is None:
        marks = _marks(node)
    if linked:
        yield from map(_as_link, iter_blocks(node, marks))
        return
    run = _Run()
    for child in node.iter(include_text=True):
        kind = child.tag_id
        if kind == tags.TEXT:
            text = child.text(deep=False)
            run.add(text, escape(text))
            continue
        if kind == tags.BR:
            if run.parts and run.parts[-1] == "\n":  # <br><br>: a paragraph break
                yield from run.flush()
            else:
                run.add("\n", "<br>")
            continue
        tag = child.tag
        if tag in ("-comment", None):
            continue
        if tag in BLOCK_TAGS and not (tag == "table" and _is_table_for_layout(child)):
            yield from run.flush()
            if (
                tag in ("blockquote", "li")
                and _has_descendant(child, ITEM_PARAGRAPH_IDS)
                and _longer_than(child, 400)
            ):
                yield from iter_blocks(child, marks)  # a long quote or item: its paragraphs
            else:
                block = _element_block(child, marks)
                if block is not None:
                    yield block
        elif (
            tag in CONTAINER_TAGS
            or tag == "table"
            or (
                tag in ("span", "a", "font", "b", "strong", "i", "em")
                and _has_descendant(child, BLOCKISH_INSIDE_IDS)
            )
        ):
            yield from run.flush()
            yield from iter_blocks(child, marks, linked=tag == "a")
        else:
            text = child.text(deep=True)
            if text:
                html = child.html or ""
                run.add(_broken_text(child) if "<br" in html else text, html, link=tag == "a")
    yield from run.flush()


def selected_blocks(root: LexborNode) -> list[Block]:
    """The blocks of `root`'s subtree, found by one CSS query (the fast path, for content
    without bare text runs): block elements, leaf `<div>`s and a layout table's cells of
    bare text, in document order, skipping those inside a block already taken."""
    blocks: list[Block] = []
    root_id = root.mem_id
    container: int | None = None  # the last block taken that may hold other blocks
    marks = _marks(root)
    for node in root.css(BLOCK_SELECTOR):
        tag = node.tag
        if container is not None and _inside(node, container, root_id):
            continue
        container = None
        if tag == "table" and _is_table_for_layout(node):
            continue  # its cells' paragraphs come next
        if tag == "td" and _has_descendant(node, BLOCKS_IN_DIV_IDS):
            continue  # a layout cell's blocks come next; a cell of bare text is a paragraph
        if (
            tag in ("blockquote", "li")
            and _longer_than(node, 400)
            and _has_descendant(node, ITEM_PARAGRAPH_IDS)
        ):
            continue  # a long quote or item: keep its own paragraphs
        if tag == "div" and node.mem_id in marks.hold_breaks:
            blocks.extend(iter_blocks(node, marks))  # paragraphs separated by <br><br>
            continue
        block = _element_block(node, marks, tag)
        if block is not None:
            blocks.append(_as_link(block) if node.mem_id in marks.in_links else block)
        if tag in CAN_HOLD_BLOCKS:
            container = node.mem_id
    return blocks


def _inside(node: LexborNode, ancestor_id: int, stop_id: int) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != stop_id:
        if parent.mem_id == ancestor_id:
            return True
        parent = parent.parent
    return False


def _node_blocks(node: LexborNode) -> list[Block]:
    """Selected blocks when they hold the node's text; walked blocks when text sits outside
    block elements (bare text runs between `<br>`s, text in `<span>`s ...)."""
    selected = selected_blocks(node)
    covered = sum(len(block.text) for block in selected)
    text = node.text(deep=True)
    # Cleaning only takes away: measured against the raw text, most nodes are covered
    # without the cost of cleaning it.
    if covered >= COVERED * len(text) or covered >= COVERED * _clean_length(text):
        return selected
    return list(iter_blocks(node))


def surroundings(chosen: list[LexborNode]) -> list[Removed]:
    """What the article's wrapper (the parent of the chosen nodes, below the page's body)
    holds beside them and is dropped for a reason, for the article's audit: a node whose
    class or id says what it is (share bar, related stories, comments), a list of links
    (other stories' titles) and the heading over it. Nothing is detached: these nodes are
    not among the article's blocks anyway."""
    ids = {node.mem_id for node in chosen}
    removed: list[Removed] = []
    wrappers: set[int] = set()
    for node in chosen:
        parent = node.parent
        if parent is None or parent.tag in ("body", "html") or parent.mem_id in wrappers:
            continue
        wrappers.add(parent.mem_id)
        children = list(parent.iter())
        dropped = [
            [] if child.mem_id in ids or _never_seen(child) else _dropped(child)
            for child in children
        ]
        for n, found in enumerate(dropped):
            after = dropped[n + 1][:1] if n + 1 < len(dropped) else []
            for region, reason in found:
                if reason is None and after and after[0][0] is children[n + 1]:
                    reason = after[0][1]  # the heading over a list of links, say
                if reason is not None and (text := _recorded(region)):
                    removed.append(Removed(reason, text))
    return removed


def _never_seen(node: LexborNode) -> bool:
    """Not text a reader sees: a script, form or navigation, or a hidden node."""
    return node.tag_id in NEVER_CONTENT_IDS or _hidden(node)


def _hidden(node: LexborNode) -> bool:
    """Whether the node itself matches `HIDDEN`, read from its attributes (`css_matches`
    tells whether any node below it does, and parses the selector each time)."""
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = (attrs.get("style") or "").lower()
    return "display:none" in style or "display: none" in style


def _dropped(node: LexborNode) -> list[tuple[LexborNode, RemovalReason | None]]:
    """`node`, or the outermost nodes under it that a class or id marks, with the reason
    each is not the article's; a heading with none (a list's label, perhaps)."""
    reason = _hinted_reason(node)
    if reason is not None or node.tag in HEADINGS:
        return [(node, reason)]
    length = _text_length(node)
    if length and _link_density(node, length) >= RELATED_LINK_DENSITY:
        return [(node, RemovalReason.RELATED)]
    found: list[tuple[LexborNode, RemovalReason | None]] = []
    inside: set[int] = set()
    for hinted in _negative_nodes(node):
        reason = _hinted_reason(hinted)
        if reason is None or _inside_any(hinted, inside, node.mem_id):
            continue
        inside.add(hinted.mem_id)
        found.append((hinted, reason))
    return found


def _hinted_reason(node: LexborNode) -> RemovalReason | None:
    """The reason a node's class or id gives for it not being the article's, if any (none
    for screen-reader text, a class that may name the article itself, or an anchor made of
    the node's own text)."""
    key = _hint_key(node)
    reason = _key_reason(key)
    if reason is None or _hints_name_own_text(node, key):
        return None
    return reason


_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_WORDS = 3  # words of an anchor made of a heading's text, at least


def _hints_name_own_text(node: LexborNode, key: str) -> bool:
    """Whether each class or id word that holds a negative hint is an anchor made of the
    node's own text, as a heading's id is ("what-share-of-teens-vote" on "What share of
    teens vote?", "h-promo-codes-and-offers"): its words, maybe cut short, not a widget's
    name."""
    anchors = _anchors(key)
    if not anchors:
        return False
    text = node.text(deep=True).lower().replace("’", "").replace("'", "")
    slug = _NOT_SLUG.sub("-", text).strip("-")
    return all(anchor in slug for anchor in anchors)


@lru_cache(maxsize=4096)
def _anchors(key: str) -> tuple[str, ...]:
    """The class or id words that hold a negative hint, as the text they would be made of
    (the last word, maybe cut short, and a prefix such as "h-" left out); none unless each
    such word is long enough to be one."""
    anchors: list[str] = []
    for token in key.split():
        if not _negative_key(token):
            continue
        words = token.split("-")[:-1]
        while words and len(words[0]) <= 2:
            words = words[1:]
        if len(words) < SLUG_WORDS:
            return ()
        anchors.append("-".join(words))
    return tuple(anchors)


@lru_cache(maxsize=8192)
def _key_reason(key: str) -> RemovalReason | None:
    if not _negative_key(key) or MAYBE_CONTENT.search(key):
        return None
    if any(hint in key for hint in _UNSEEN_HINTS):
        return None
    return _pruned_reason(key)


def _inside_any(node: LexborNode, ancestors: set[int], stop_id: int) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != stop_id:
        if parent.mem_id in ancestors:
            return True
        parent = parent.parent
    return False


def _recorded(node: LexborNode) -> str:
    """A removed node's text as its record keeps it: a line per text node (the titles of a
    list of links stay apart), cut short (a comment thread runs long)."""
    lines = node.text(deep=True, separator="\n", strip=True).split("\n")
    text = "\n".join(filter(None, map(_clean, lines)))
    return text if len(text) <= RECORDED_CHARS else text[: RECORDED_CHARS - 1] + "…"


def extract_blocks(tree: LexborHTMLParser) -> tuple[list[Block], list[Removed]]:
    """The article's blocks, and what was pruned from its containers (see `prune`)."""
    body = tree.body
    if body is None:
        return [], []
    blocks: list[Block] = []
    chosen = main_nodes(body)
    pruned = surroundings(chosen)
    for node in chosen:
        pruned += prune(node)
        if node.tag in BLOCK_TAGS and node.tag != "table":
            block = _element_block(node, _marks(node))
            if block is not None:
                blocks.append(block)
        else:
            blocks.extend(_node_blocks(node))
    return blocks, pruned


def fragment_blocks(tree: LexborHTMLParser) -> tuple[list[Block], list[Removed]]:
    """Every block of a fragment that is all article (a feed entry's content): no choice of
    container, only what is never content pruned."""
    body = tree.body
    if body is None:
        return [], []
    pruned = prune(body)
    return _node_blocks(body), pruned


PAGE_PARAGRAPHS = _not_outside("p")


def paragraph_blocks(tree: LexborHTMLParser) -> list[Block]:
    """Every paragraph of the page outside its footers, navigation and asides (where a
    site's addresses and legal notes stand), no structure: the fallback for pathological
    markup, and for a choice of content that holds little."""
    blocks = []
    for node in tree.css(PAGE_PARAGRAPHS):
        text = _clean(node.text(deep=True))
        if text:
            blocks.append(Block(text, BlockKind.PARAGRAPH, f"<p>{escape(text)}</p>"))
    return blocks
