"""Which part of a page is the article: the choice checks itself against where the page's
paragraphs are (pages shaped like the failures seen on pages nobody tuned the extractor to)."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.extract.article import extract_article
from ingest.extract.content import main_nodes, scoring_nodes

SENTENCE = (
    "The council said on Tuesday that the new bridge, which has been delayed twice, would "
    "open to traffic in the spring, once the last inspections of its supports are complete."
)


def _paragraphs(topic: str, count: int) -> str:
    return "".join(f"<p>{topic} {n}: {SENTENCE}</p>" for n in range(count))


def test_an_article_split_into_one_box_per_section_comes_out_whole() -> None:
    # A buying guide or long read: each section in its own box of a page builder, every
    # box with its own generated class, so no one box holds much of the article.
    sections = "".join(
        f'<div class="sec-{n}a"><div class="wrap-{n}"><h2>Section {n}</h2>'
        f'<div class="text-{n}">{_paragraphs(f"Section {n}", 7 + n % 2)}</div></div></div>'
        for n in range(8)
    )
    page = (
        "<html><body><nav><a href='/'>Home</a></nav>"
        f"<main><div class='builder'>{sections}</div></main>"
        "<footer><p>Copyright notice of the site, with a sentence long enough to score.</p>"
        "</footer></body></html>"
    )
    article = extract_article(page)
    for n in range(8):
        assert f"Section {n} 0: The council" in article.text
    assert "Copyright" not in article.text


def test_a_footer_with_one_long_legal_paragraph_never_wins_over_the_article() -> None:
    legal = (
        "Securities and services are offered through the group, member of the association, "
        "and advisory services through its affiliate, licensed in the states listed, where "
        "products may not be available, with exclusions, limitations and reductions. "
    ) * 3
    items = "".join(f"<li>Check item {n}, every month, and write it down.</li>" for n in range(20))
    short = "".join(f"<p>Check {n} takes a minute and saves a repair.</p>" for n in range(24))
    page = (
        "<html><body><article><div class='intro'>"
        "<p>Regular maintenance keeps a car safe, cheap to run and worth more when sold.</p>"
        f"<p>Short checks, done often, catch small problems early.</p></div><ul>{items}</ul>"
        f"{short}<p>Keep the receipts: a full record helps when it is time to sell.</p></article>"
        f"<footer><div><div class='col'><p>{legal}</p><p>{legal}</p></div></div></footer>"
        "</body></html>"
    )
    article = extract_article(page)
    assert "Regular maintenance" in article.text
    assert "Securities" not in article.text


def test_a_short_article_is_not_traded_for_the_footers_paragraphs() -> None:
    # A short article and its list, then a long footer of addresses and legal notes: the
    # page's own paragraphs, checked against the short box, are those outside the footer.
    offices = "".join(
        f"<p>Office {n}: {n}1 Main Street, Suite {n}00, Springfield, where our advisers "
        "meet clients by appointment on weekdays.</p>"
        for n in range(8)
    )
    page = (
        "<html><body><section><div class='text'>"
        "<p>A good risk management program screens renters, so that only qualified drivers "
        "take the wheel, and sound practice at the counter keeps the fleet safe.</p>"
        "<p><strong>Key topics discussed in the guide include:</strong></p>"
        "<ul><li>General procedures at the rental counter</li><li>Reporting losses</li></ul>"
        f"</div></section><footer>{offices}</footer></body></html>"
    )
    article = extract_article(page)
    assert "Reporting losses" in article.text
    assert "Springfield" not in article.text


def test_an_article_split_into_one_templates_boxes_keeps_what_stands_between_them() -> None:
    # Each section's text in a box of one template, its heading outside the box: the node
    # that holds all the boxes is the article, headings and all.
    sections = "".join(
        f"<div class='sect1'><h2>Heading {n}</h2><div class='sectionbody'>"
        f"{_paragraphs(f'Part {n}', 2)}</div></div>"
        for n in range(4)
    )
    page = (
        "<html><body><nav><a href='/'>Home</a></nav><main><article>"
        f"<h1>Progress report</h1><div class='content'>{sections}</div></article></main>"
        "</body></html>"
    )
    article = extract_article(page)
    for n in range(4):
        assert f"Heading {n}" in article.text
        assert f"Part {n} 1: The council" in article.text


@pytest.mark.parametrize(
    "between",
    [
        # The node around the boxes is mostly links (a menu between them).
        "".join(
            f"<li><a href='/s/{n}'>Other story number {n} of the site</a></li>" for n in range(30)
        ),
        # It holds far more than they do (a long list between them).
        "".join(f"<li>Listed item {n}: {SENTENCE}</li>" for n in range(12)),
    ],
    ids=["links", "much-more-text"],
)
def test_boxes_of_one_template_stay_apart_when_what_holds_them_is_not_the_article(
    between: str,
) -> None:
    one, two = (f"<div class='sectionbody'>{_paragraphs(f'Part {n}', 2)}</div>" for n in (0, 1))
    page = (
        f"<html><body><div class='wrap'><div class='one'>{one}</div><ul>{between}</ul>"
        f"<div class='two'>{two}</div></div></body></html>"
    )
    body = LexborHTMLParser(page).body
    assert body is not None
    assert [node.attributes.get("class") for node in main_nodes(body)] == ["sectionbody"] * 2


def test_text_runs_separated_by_br_inside_a_span_are_the_article() -> None:
    runs = "<br><br>".join(f"Paragraph {n}: {SENTENCE}" for n in range(10))
    page = (
        "<html><body><div class='hero'><h1>Blog</h1><p>See the latest posts and videos.</p>"
        f"</div><section id='content'><div><span class='rich'>{runs}</span></div></section>"
        "</body></html>"
    )
    article = extract_article(page)
    assert article.word_count > 250
    assert "Paragraph 9: The council" in article.text


def test_a_page_builders_widget_class_on_every_part_is_structure_not_boilerplate() -> None:
    # Every part of the article sits in an element whose class says "widget", with its own
    # id in the class too; a sidebar widget beside them is still boilerplate.
    parts = "".join(
        f'<div class="builder-element builder-element-{n:04x} builder-widget builder-widget-text">'
        f"<h2>Part {n}</h2>{_paragraphs(f'Part {n}', 3)}</div>"
        for n in range(6)
    )
    sidebar = (
        '<div class="builder-element builder-widget builder-widget-sidebar">'
        "<p>Subscribe to our newsletter, for offers, news and more, every week.</p></div>"
    )
    office = "<p>Our office is open on weekdays from nine to five, closed on holidays.</p>"
    page = (
        f"<html><body><article><div class='builder'>{parts}{sidebar}</div></article>"
        f"<footer>{office * 3}</footer></body></html>"
    )
    article = extract_article(page)
    for n in range(6):
        assert f"Part {n} 2: The council" in article.text
    assert "newsletter" not in article.text and "office" not in article.text
    assert any("newsletter" in removed.text for removed in article.removed)


def test_comments_whose_bodies_share_the_articles_class_stay_out() -> None:
    # A forum-like theme: the article body and each comment's body are both "div.content";
    # the first comment is longer than the article, and scores best.
    article = f'<div class="article"><div class="content">{_paragraphs("Story", 4)}</div></div>'
    reply = (
        "<p>Reader {n} wrote a long reply about the bridge, its delays, its cost, and what the "
        "council should have done differently, at some length, with feeling.</p>"
    )
    comments = "".join(
        f'<div class="comment"><div class="comment_content"><div class="content">'
        f"{reply.format(n=n) * (7 if n == 0 else 1)}</div></div></div>"
        for n in range(6)
    )
    page = (
        f"<html><body><div class='wrapper'>{article}"
        f"<div id='comments'>{comments}</div></div></body></html>"
    )
    text = extract_article(page).text
    assert "Story 3: The council" in text
    assert "Reader" not in text


def _ids(nodes: list[LexborNode]) -> list[str | None]:
    return [node.attributes.get("id") for node in nodes]


def test_nothing_in_a_footer_navigation_or_aside_may_score_however_deep() -> None:
    body = LexborHTMLParser(
        "<body><p id=a>x</p><div id=b>y</div>"
        "<footer><p id=c>x</p><div id=d><div id=e><p id=f>x</p></div></div></footer>"
        "<nav><ul><li><p id=g>x</p><span id=h>y<br>z</span></li></ul></nav>"
        "<aside><section id=i><pre id=j>x</pre></section></aside><td id=k>x</td></body>"
    ).body
    assert body is not None
    paragraphs, text_runs = scoring_nodes(body)
    assert _ids(paragraphs) == ["a"]
    assert _ids(text_runs) == ["b"]


def test_a_footer_that_wraps_most_of_the_page_is_the_page() -> None:
    text = "A sentence of the article, long enough to count for something here. " * 20
    body = LexborHTMLParser(
        f"<body><footer id=w><div id=a><p id=b>{text}</p></div>"
        "<nav><p id=c>Home</p><div id=d>Menu</div></nav></footer><p id=e>x</p></body>"
    ).body
    assert body is not None
    paragraphs, text_runs = scoring_nodes(body)
    assert _ids(paragraphs) == ["b", "e"]
    assert _ids(text_runs) == ["a"]
