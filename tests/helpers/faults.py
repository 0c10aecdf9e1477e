"""The seed's faults put into real articles, in nine forms: shared by bench/cleaning.py
(which prints the figures beside trafilatura's) and the cleaning floors test.

Articles are drawn (seeded) from ../shared/bench/wcxb-dev/: their reviewed main text for the
text forms, their real page for the HTML forms. The spam is other pages' real titles."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.extract.article import extract_article
from ingest.extract.clean import clean_text
from ingest.text import normalise
from tests.helpers.benchmarks import Page, wcxb_pages

WORD = re.compile(r"\w+")
# Labels as sites print them, in many languages (most are in no list of ours).
ENGLISH_LABELS = ["You may also like", "Related Articles", "More stories", "Read next"]
OTHER_LABELS = [
    "Das könnte Sie auch interessieren",
    "Читайте также",
    "Vous aimerez aussi",
    "Te puede interesar",
    "Leggi anche",
    "Zobacz także",
    "Ook interessant",
    "İlginizi çekebilir",
    "Mohlo by vás zajímat",
    "Διαβάστε επίσης",
    "あわせて読みたい",
    "추천 기사",
    "Läs mer",
    "Mais lidas",
]
CURLY = str.maketrans({"'": "\u2019", '"': "\u201c"})


@dataclass
class Case:
    """One article with one fault: the input, what is spam, what was doubled."""

    text: str = ""  # a text form's input
    html: str = ""  # an HTML form's input
    spam: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)


@dataclass
class Article:
    page: Page
    paragraphs: list[str]
    headlines: list[str]
    container: str  # the real page with the article's container marked


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(text.lower()))


def lost(reference: str, output: str) -> float:
    want, got = words(reference), words(output)
    total = sum(want.values())
    return 1 - sum((want & got).values()) / total if total else 0.0


def spam_left(case: Case, output: str) -> tuple[int, int]:
    out = normalise(output)
    return sum(normalise(s) in out for s in case.spam), len(case.spam)


def dups_left(case: Case, output: str) -> tuple[int, int]:
    out = normalise(output)
    return sum(out.count(normalise(p)) >= 2 for p in case.doubled), len(case.doubled)


# -- the forms -------------------------------------------------------------------------


def _body(a: Article) -> list[str]:
    return list(a.paragraphs)


def text_seed(a: Article, rng: random.Random) -> Case:
    heads = a.headlines[:5]
    lines = _body(a) + _body(a) + [ENGLISH_LABELS[0], *heads]
    return Case(text="\n\n".join(lines), spam=[ENGLISH_LABELS[0], *heads], doubled=_long(a))


def text_headlines(a: Article, rng: random.Random) -> Case:
    heads = a.headlines[:5]
    return Case(text="\n\n".join(_body(a) + heads), spam=heads)


def text_foreign_label(a: Article, rng: random.Random) -> Case:
    label, heads = rng.choice(OTHER_LABELS), a.headlines[:5]
    return Case(text="\n\n".join([*_body(a), label, *heads]), spam=[label, *heads])


def text_partial_repeat(a: Article, rng: random.Random) -> Case:
    body = _body(a)
    reads = [f"READ MORE: {h}" for h in a.headlines[5:7]]
    with_reads = body[:2] + [reads[0]] + body[2:4] + [reads[1]] + body[4:]
    repeat = body[: max(2, len(body) * 3 // 5)]
    heads = a.headlines[:4]
    lines = [*with_reads, *repeat, "Related Articles", *heads]
    doubled = [p for p in repeat if len(p.split()) >= 8]
    return Case(text="\n\n".join(lines), spam=[*reads, "Related Articles", *heads], doubled=doubled)


def text_curly_repeat(a: Article, rng: random.Random) -> Case:
    again = [p.translate(CURLY).replace(" ", "  ") for p in _body(a)]
    return Case(text="\n\n".join(_body(a) + again), doubled=_long(a))


def _long(a: Article) -> list[str]:
    return [p for p in a.paragraphs if len(p.split()) >= 8]


def _links(heads: list[str], shape: str) -> str:
    return "".join(shape.format(n=n, h=escape(h)) for n, h in enumerate(heads))


def _inject(a: Article, change: Callable[[LexborNode], None]) -> str:
    tree = LexborHTMLParser(a.container)
    node = next(n for n in tree.css("[data-bench-container]"))
    change(node)
    return tree.html or ""


def _fragment(html: str) -> LexborNode:
    body = LexborHTMLParser(f"<div>{html}</div>").body
    assert body is not None and body.child is not None
    return body.child


def html_cards(a: Article, rng: random.Random) -> Case:
    heads = a.headlines[:6]
    grid = _links(heads, '<div><a href="/story-{n}"><h3>{h}</h3></a></div>')
    return Case(html=_inject(a, lambda c: c.insert_child(_fragment(grid))), spam=heads)


def html_inline_read_more(a: Article, rng: random.Random) -> Case:
    heads = a.headlines[5:8]

    def change(container: LexborNode) -> None:
        paragraphs = [  # the container's own paragraphs (not those inside a list item)
            p
            for p in container.css("p")
            if p.parent is not None
            and p.parent.mem_id == container.mem_id
            and len((p.text() or "").split()) >= 8
        ]
        for p, (n, h) in zip(paragraphs[1::2], enumerate(heads), strict=False):
            line = f'<p><strong>READ MORE:</strong> <a href="/more-{n}">{escape(h)}</a></p>'
            p.insert_after(_fragment(line))

    html = _inject(a, change)
    return Case(html=html, spam=[h for h in heads if normalise(h) in normalise(html)])


def html_doubled_container(a: Article, rng: random.Random) -> Case:
    def change(container: LexborNode) -> None:
        copy = _fragment(container.html or "")
        container.insert_after(copy)

    return Case(html=_inject(a, change), doubled=_long(a))


def html_related_list(a: Article, rng: random.Random) -> Case:
    heads = a.headlines[:5]
    block = "<h2>Related</h2><ul>" + _links(heads, '<li><a href="/r-{n}">{h}</a></li>') + "</ul>"
    return Case(html=_inject(a, lambda c: c.insert_after(_fragment(block))), spam=heads)


TEXT_FORMS = {
    "text: body twice + label + 5 headlines (the seed)": text_seed,
    "text: 5 headlines appended, no label": text_headlines,
    "text: non-English label + headlines": text_foreign_label,
    "text: partial repeat + READ MORE + label + headlines": text_partial_repeat,
    "text: body repeated, curly quotes, doubled spaces": text_curly_repeat,
}
HTML_FORMS = {
    "html: card grid inside the container": html_cards,
    "html: inline READ MORE paragraphs": html_inline_read_more,
    "html: the container doubled": html_doubled_container,
    "html: related-links list after the article": html_related_list,
}


# -- the articles ------------------------------------------------------------------------


def _mark_container(page: Page, paragraphs: list[str]) -> str | None:
    """The page with the element holding its article's paragraphs marked, or None when
    the reviewed paragraphs cannot be found in it as `<p>` elements."""
    tree = LexborHTMLParser(page.html)
    wanted = {normalise(p) for p in paragraphs if len(p.split()) >= 12}
    parents: Counter[int] = Counter()
    nodes: dict[int, LexborNode] = {}
    for p in tree.css("p"):
        if normalise(p.text() or "") in wanted and p.parent is not None:
            key = p.parent.mem_id
            parents[key] += 1
            nodes[key] = p.parent
    if not parents:
        return None
    key, found = parents.most_common(1)[0]
    if found < 3:
        return None
    nodes[key].attrs["data-bench-container"] = "1"
    return tree.html


def articles(count: int, seed: int) -> list[Article]:
    pages = wcxb_pages()
    rng = random.Random(seed)
    titles = [p.title.strip() for p in pages if p.title and 2 <= len(p.title.split()) <= 18]
    rng.shuffle(pages)
    chosen: list[Article] = []
    for page in pages:
        paragraphs = [p.strip() for p in page.text.split("\n\n") if p.strip()]
        if len(paragraphs) < 6 or len(page.text.split()) < 200:
            continue
        marked = _mark_container(page, paragraphs)
        if marked is None:
            continue
        text = normalise(page.text)
        others = [t for t in titles if t != page.title and normalise(t) not in text]
        chosen.append(Article(page, paragraphs, rng.sample(others, 8), marked))
        if len(chosen) == count:
            break
    return chosen


# -- the run -----------------------------------------------------------------------------


def ours_text(text: str) -> str:
    return clean_text(text).text


def ours_html(html: str, url: str) -> str:
    return extract_article(html.encode("utf-8"), url, "text/html; charset=utf-8").text
