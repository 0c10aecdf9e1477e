"""Article extraction: golden pages, metadata, sanitised HTML, decoding, broken input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.extract.article import Article, extract_article
from ingest.extract.metadata import _alone, _visible_dates
from ingest.types import Block, BlockKind, RemovalReason

GOLDEN = Path(__file__).parent / "golden" / "extract"
URL = "https://news.example/2026/11/story"


def golden(name: str) -> Article:
    return extract_article((GOLDEN / f"{name}.html").read_bytes(), URL)


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.html")))
def test_golden(name: str) -> None:
    expected = (GOLDEN / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    assert golden(name).text == expected


def test_a_body_captured_twice_in_different_containers_keeps_one_copy() -> None:
    article = golden("double-body")
    assert article.text.count("The harbour tunnel opened") == 1
    assert "You may also like" not in article.text
    assert "bakery" not in article.text
    assert [r.reason for r in article.removed].count(RemovalReason.DUPLICATE) == 4


def test_related_headlines_without_a_telling_class_are_removed() -> None:
    article = golden("related-without-class")
    assert "cycle lanes" not in article.text
    assert {r.reason for r in article.removed} == {RemovalReason.RELATED}


def test_metadata_from_the_page_declarations() -> None:
    article = golden("double-body")
    assert article.title == "Harbour tunnel opens after six years"
    assert article.author == "Ana Ruiz"
    assert article.published == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert article.canonical_url == "https://news.example/2026/11/harbour-tunnel"
    assert article.site_name == "City News"
    assert article.language == "en"
    other = golden("structure")
    assert (other.author, other.language) == ("Jonas Weber", "de-DE")
    assert other.published == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


def test_metadata_falls_back_to_the_visible_page() -> None:
    page = (
        "<html><head><title>Fallback title - Site</title></head><body>"
        '<article><time datetime="2026-03-04">4 March</time>'
        '<a rel="author" href="/who">Lee Chan</a>'
        "<p>Der Bürgermeister sagte, dass die Stadt die neue Brücke nicht vor dem Sommer "
        "eröffnen wird, weil die Prüfung der Statik länger dauert als geplant war.</p>"
        "<p>Die Arbeiten an den Zufahrten sind nach Angaben der Stadt dagegen fast "
        "abgeschlossen, und auch die Beleuchtung ist bereits installiert worden.</p>"
        "</article></body></html>"
    )
    article = extract_article(page)
    assert article.title == "Fallback title"
    assert article.published == datetime(2026, 3, 4, tzinfo=UTC)
    assert article.author == "Lee Chan"
    assert article.language == "de"  # guessed from the text: nothing was declared


def test_the_html_is_sanitised() -> None:
    html = golden("structure").html
    for bad in ("<script", "onclick", "javascript:", "<iframe", "<form", "<input", "<style"):
        assert bad not in html
    assert "<ul>" in html and "<blockquote>" in html and "<table>" in html
    assert "<h2>Die wichtigsten Maßnahmen</h2>" in html


def test_a_blocks_markup_is_serialised_once_on_first_use() -> None:
    calls: list[int] = []

    def serialise() -> str:
        calls.append(1)
        return "<p>Text</p>"

    block = Block("Text", BlockKind.PARAGRAPH, serialise)
    assert calls == []
    assert block.html == "<p>Text</p>" and block.html == "<p>Text</p>"
    assert calls == [1]


def test_each_block_has_its_own_markup_with_its_links_and_line_breaks() -> None:
    body = (
        "<p>"
        + "The council met on Monday to discuss the new budget for the parks. " * 4
        + "</p><p>Read the <a href='/report'>full report</a> from the council's meeting, "
        "which runs to forty pages.</p><p>123 Main Street<br>Springfield, a town "
        "hall that opened in 1901</p>"
    )
    article = extract_article(f"<html><body><article>{body}</article></body></html>", URL)
    first, linked, address = article.blocks
    assert first.html.startswith("<p>The council met") and first.link_density == 0
    assert linked.html.count("<a href") == 1 and 0 < linked.link_density < 0.3
    assert address.text == "123 Main Street Springfield, a town hall that opened in 1901"
    assert address.html == "<p>123 Main Street<br>Springfield, a town hall that opened in 1901</p>"


def test_lists_tables_and_quotes_are_kept_in_the_text() -> None:
    text = golden("structure").text
    assert "- Parks werden nachts mit Regenwasser bewässert." in text
    assert "2025 | 33,9" in text
    assert "„Jeder Liter" in text


def test_the_bare_text_of_a_tables_cells_is_kept_when_another_cell_holds_a_paragraph() -> None:
    # A paragraph in one cell makes it a layout table, read cell by cell: the cells that
    # hold bare text are paragraphs too, as a <div> of bare text is.
    rows = "".join(
        f"<tr><td>{food}</td><td>{grams}</td></tr>"
        for food, grams in [("Celery", "80g"), ("Carrots", "4"), ("Garlic", "6 cloves")]
    )
    table = f"<table><tr><td><p>Ingredients</p></td><td><p>Per person</p></td></tr>{rows}</table>"
    page = f"<html><body><article><h1>Menus</h1>{BODY}{table}{BODY}</article></body></html>"
    text = extract_article(page).text
    assert "Celery" in text and "6 cloves" in text


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ('<meta charset="windows-1252"><p>Caf\xe9 cr\xe8me au caf\xe9 du coin.</p>', None),
        ("<p>Caf\xe9 cr\xe8me au caf\xe9 du coin.</p>", "text/html; charset=iso-8859-1"),
    ],
)
def test_bytes_are_decoded_with_the_declared_charset(raw: str, content_type: str | None) -> None:
    article = extract_article(raw.encode("cp1252"), content_type=content_type)
    assert "Café crème" in article.text


def test_a_wrong_declared_charset_falls_back_to_what_decodes() -> None:
    page = '<meta charset="iso-8859-1"><p>Grüße aus Köln, sagte die Bürgermeisterin.</p>'
    assert "Grüße aus Köln" in extract_article(page.encode("utf-8")).text


@pytest.mark.parametrize(
    "page",
    [
        b"",
        b"\x00\xff\xfe garbage \x81",
        b"<html><body><p>unclosed <b>bold <i>italic <div>div in p",
        b"<" * 10_000,
        b"<div>" * 5_000 + b"<p>deep text that is long enough to be a paragraph, surely</p>",
        b"<table>" * 5000,
        "<p>\u202e\ufeff\U0001f600 emoji and bidi marks</p>".encode(),
    ],
)
def test_broken_html_never_raises(page: bytes) -> None:
    article = extract_article(page)
    assert isinstance(article.text, str)


def test_what_extraction_prunes_from_the_container_is_recorded_with_its_reason() -> None:
    body = "".join(
        f"<p>Paragraph {n} of the story, long enough to be prose here.</p>" for n in range(6)
    )
    html = (
        "<html><body><article>"
        f"{body}"
        '<div class="related-stories"><a href="/a">Another story entirely</a></div>'
        '<div class="share-bar">Share on Facebook</div>'
        '<section id="comments"><p>First! Great piece.</p></section>'
        '<span class="sr-only">Screen reader hint</span>'
        "</article></body></html>"
    )
    article = extract_article(html, "https://x.example/story")
    assert "Another story" not in article.text and "Share on" not in article.text
    recorded = {(r.reason, r.text) for r in article.removed}
    assert (RemovalReason.RELATED, "Another story entirely") in recorded
    assert (RemovalReason.BOILERPLATE, "Share on Facebook") in recorded
    assert (RemovalReason.COMMENTS, "First! Great piece.") in recorded
    assert not any("Screen reader" in text for _, text in recorded)  # hidden: not a removal


def test_code_keeps_the_parts_a_syntax_highlighter_marks() -> None:
    """ "token comment", "hljs-comment": a program's comments, not a comment thread."""
    body = "".join(
        f"<p>Paragraph {n} of the story, long enough to be prose here.</p>" for n in range(6)
    )
    code = (
        '<pre><code class="language-bash"><span class="token comment"># initialize git</span>\n'
        'git init\n<span class="hljs-comment"># stage every file</span>\ngit add .</code></pre>'
    )
    html = (
        f"<html><body><article>{body}{code}"
        '<section id="comments"><p>First! Great piece.</p></section></article></body></html>'
    )
    article = extract_article(html, "https://x.example/story")
    assert "# initialize git\ngit init\n# stage every file\ngit add ." in article.text
    assert "First!" not in article.text


def test_a_headings_anchor_made_of_its_text_is_no_hint() -> None:
    """id="what-share-of-teens-vote" is the heading's own text, not a share bar."""
    paragraphs = [
        f"<p>Paragraph {n} of the story, long enough to be prose here.</p>" for n in range(6)
    ]
    headings = [
        '<h2 id="what-share-of-teens-vote">What share of teens vote?</h2>',
        '<h2 class="wp-block-heading" id="h-promo-codes-and-special-offers">'
        "Promo Codes and Special Offers</h2>",
        # Cut short, and an apostrophe dropped, as a CMS writes them.
        '<h3 id="h-germanys-most-popular-language-learning-a">'
        "Germany’s Most Popular Language Learning App</h3>",
    ]
    widget = '<div id="related-stories-of-the-week">Another story entirely</div>'
    body = "".join(p + h for p, h in zip(paragraphs, [*headings, widget, "", ""], strict=True))
    article = extract_article(f"<html><body><article>{body}</article></body></html>")
    for heading in ("What share of teens vote?", "Promo Codes and Special Offers"):
        assert heading in article.text
    assert "Germany’s Most Popular" in article.text
    assert "Another story" not in article.text


def test_a_line_break_parts_words_in_text_cells_and_headline() -> None:
    """Lexbor's text puts nothing for a <br>: "Main Street<br>Springfield" must not read
    "Main StreetSpringfield", in a paragraph, a heading, a table's cell or the title."""
    body = "".join(
        f"<p>Paragraph {n} of the story, long enough to be prose here.</p>" for n in range(6)
    )
    html = (
        "<html><body><article><h1>Part one<br>of two</h1>"
        f"{body}<p>The hall is at 12 Main Street<br>Springfield<br/>and opens at nine.</p>"
        "<h2>The plan<br>in brief</h2><table><tr><td>Main St<br>No 5</td><td>Open</td></tr>"
        "</table><pre>make<br>make install</pre>"
        "<div>Call <span>the desk<br>or the office</span> today.</div></article></body></html>"
    )
    article = extract_article(html)
    assert article.title == "Part one of two"
    for line in (
        "The hall is at 12 Main Street Springfield and opens at nine.",
        "The plan in brief",
        "Main St No 5 | Open",
        "make\nmake install",
        "Call the desk or the office today.",
    ):
        assert line in article.text


def test_what_is_dropped_beside_the_chosen_container_is_recorded_too() -> None:
    """The article's wrapper holds the text's container and, beside it, a share bar, a list
    of other stories under its heading and a comment thread: none is the article, and each
    is in the audit with its reason (whatever hidden icon it holds). The page's navigation
    and hidden nodes are not."""
    body = "".join(
        f"<p>Paragraph {n} of the story, long enough to be prose here.</p>" for n in range(6)
    )
    html = (
        '<html><body><nav><a href="/">Home</a></nav><main><div class="wrap">'
        f'<div class="post-body">{body}</div>'
        '<div class="share-tools"><a href="/s"><i aria-hidden="true"></i>Share on X</a></div>'
        '<h2>Elsewhere</h2><ul><li><a href="/a">Another story entirely</a></li>'
        '<li><a href="/b">And one more of them</a></li></ul>'
        "<div hidden>Hidden text</div>"
        '<div><section id="comments"><p>First! Great piece.</p></section></div>'
        "</div></main><footer>Footer line</footer></body></html>"
    )
    article = extract_article(html, "https://x.example/story")
    assert article.text.startswith("Paragraph 0") and "Another story" not in article.text
    recorded = {(r.reason, r.text) for r in article.removed}
    assert recorded == {
        (RemovalReason.BOILERPLATE, "Share on X"),
        (RemovalReason.RELATED, "Elsewhere"),
        (RemovalReason.RELATED, "Another story entirely\nAnd one more of them"),
        (RemovalReason.COMMENTS, "First! Great piece."),
    }


BODY = (
    "<p>Der Bürgermeister sagte, dass die Stadt die neue Brücke nicht vor dem Sommer "
    "eröffnen wird, weil die Prüfung der Statik länger dauert als geplant war.</p>"
)


@pytest.mark.parametrize(
    ("shown", "day"),
    [
        ("Posted on the 15/12/2025 at 19:00", datetime(2025, 12, 15, tzinfo=UTC)),
        ("Updated: 10/31/2024", datetime(2024, 10, 31, tzinfo=UTC)),
        ("17.05.2021", datetime(2021, 5, 17, tzinfo=UTC)),
        ("2023 Jan 7", datetime(2023, 1, 7, tzinfo=UTC)),
        ("Published: 2025.12.17 | 4 min read", datetime(2025, 12, 17, tzinfo=UTC)),
        ("por Redacción on 04-ago-2021 5:11:10", datetime(2021, 8, 4, tzinfo=UTC)),
        ("Post time: 24-01-2024", datetime(2024, 1, 24, tzinfo=UTC)),
        # Dashes between two numbers that could each be the month: the next date decides.
        ("Post time: 02-12-2025 · December 2, 2025", datetime(2025, 12, 2, tzinfo=UTC)),
    ],
)
def test_a_date_shown_by_the_headline_is_read_in_the_forms_pages_use(
    shown: str, day: datetime
) -> None:
    # Class-laden markup between the headline and the date, as page builders write it.
    padding = "".join(f'<div class="c-{n} mx-2 flex items-center"></div>' for n in range(800))
    page = f"<html><body><h1>Die Brücke</h1>{padding}<span>{shown}</span>{BODY}</body></html>"
    assert extract_article(page).published == day


@pytest.mark.parametrize(
    ("language", "day"),
    [
        ('lang="pt-BR"', datetime(2018, 10, 5, tzinfo=UTC)),
        ('lang="en-GB"', datetime(2018, 10, 5, tzinfo=UTC)),
        ('lang="en-US"', datetime(2018, 5, 10, tzinfo=UTC)),
        ("", datetime(2018, 5, 10, tzinfo=UTC)),
    ],
)
def test_a_shown_date_that_could_be_either_is_read_as_the_pages_language_writes_it(
    language: str, day: datetime
) -> None:
    page = (
        f"<html {language}><body><h1>Die Brücke</h1><small>05/10/2018</small>{BODY}</body></html>"
    )
    assert extract_article(page).published == day


@pytest.mark.parametrize(
    ("text", "alone"),
    [("2019", True), ("in 2019.", True), ("x2019", False), ("20190", False), ("2019_", False)],
)
def test_a_year_stands_alone_as_a_word_boundary_says(text: str, alone: bool) -> None:
    start = text.index("2019")
    assert _alone(text, start, start + 4) is alone
    assert _alone(text, start, start + 4) is bool(re.search(r"\b2019\b", text))


def test_the_digits_of_a_year_before_are_no_day() -> None:
    # An archive's months: each year is read with the 24 characters before it, which here
    # start within the year before ("24\n\n\nApril 2024" is no 24 April).
    text = "May 2024\n\n\nApril 2024\n\n\nMarch 2024\n\nBy Liza Burke, June 3, 2023"
    assert list(_visible_dates(text)) == [datetime(2023, 6, 3, tzinfo=UTC)]


def test_a_dateline_just_above_the_headline_is_the_date() -> None:
    page = (
        "<html><body><div class='hero'><span>December 17, 2025</span><h1>Die Brücke</h1></div>"
        f"{BODY}<aside><p>Older post, November 25, 2025</p></aside></body></html>"
    )
    assert extract_article(page).published == datetime(2025, 12, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("declaration", "url"),
    [
        ('<meta name="published" content="July 17, 2025">', None),
        ('<meta name="citation_publication_date" content="2025 Jul 17">', None),
        ('<meta name="w-published-date" content="2025-07-17T06:03:43Z">', None),
        ("", "https://blog.example/articles/2025-07-17+the-bridge"),
        ("", "https://blog.example/2025/july/17/the-bridge/"),
    ],
)
def test_dates_declared_in_other_names_and_forms_are_read(
    declaration: str, url: str | None
) -> None:
    page = f"<html><head>{declaration}</head><body><h1>Die Brücke</h1>{BODY}</body></html>"
    assert extract_article(page, url).published.date() == date(2025, 7, 17)  # type: ignore[union-attr]


def test_the_time_beside_the_headline_comes_before_a_list_of_latest_stories() -> None:
    latest = "".join(
        f'<li><a href="/n/{n}">Story {n}</a> <time datetime="2025-01-{n:02d}">Jan {n}</time></li>'
        for n in (30, 31)
    )
    page = (
        f"<html><body><header><ul>{latest}</ul></header><main><article><h1>Die Brücke</h1>"
        '<div class="meta"><time datetime="2017-03-01T12:00:00Z">03/01/2017</time></div>'
        f"{BODY}</article></main></body></html>"
    )
    assert extract_article(page).published == datetime(2017, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("modified", "shown", "published"),
    [
        # Published and modified stamped at once (the page's last save): the date the
        # headline shows, earlier, is the story's; a clock time written with another
        # offset is the same stamp.
        ("2025-11-20T09:00:30Z", "May 14, 2025", datetime(2025, 5, 14, tzinfo=UTC)),
        ("2025-11-20T09:00:00-04:00", "May 14, 2025", datetime(2025, 5, 14, tzinfo=UTC)),
        # Modified hours later: an edit, so the declaration is a real publication time.
        ("2025-11-20T15:00:00Z", "May 14, 2025", datetime(2025, 11, 20, 9, tzinfo=UTC)),
        # A later date shown (an update) does not move the publication.
        ("2025-11-20T09:00:30Z", "Dec 4, 2025", datetime(2025, 11, 20, 9, tzinfo=UTC)),
        # Only a date in the article's text, far below its headline: not its date.
        ("2025-11-20T09:00:30Z", None, datetime(2025, 11, 20, 9, tzinfo=UTC)),
        # The day before a time in UTC's morning: the same moment where the site is.
        (
            "2025-11-20T09:00:30Z",
            "Nov 19, 2025, 10:00 pm CST",
            datetime(2025, 11, 20, 9, tzinfo=UTC),
        ),
    ],
)
def test_a_declared_date_stamped_as_modified_too_gives_way_to_the_date_shown(
    modified: str, shown: str | None, published: datetime
) -> None:
    head = (
        '<meta property="article:published_time" content="2025-11-20T09:00:00Z">'
        f'<meta property="article:modified_time" content="{modified}">'
    )
    byline = f"<p class='byline'>Liza Burke, {shown}</p>" if shown else ""
    far = "" if shown else BODY * 12 + "<p>As of July 31, 2025, the city had spent more.</p>"
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{byline}{BODY}{far}</body></html>"
    assert extract_article(page).published == published


@pytest.mark.parametrize(
    ("open_graph", "shown", "published"),
    [
        # Declared in its structured data only, and shown by the headline as updated on
        # another day: an evergreen guide, dated by its update.
        ("", "Last updated: November 19, 2025", datetime(2025, 11, 19, tzinfo=UTC)),
        ("", "Nov 18, 2025", datetime(2025, 11, 18, tzinfo=UTC)),  # the site's own zone
        # Published in Open Graph, as a news story is: that is its date.
        (
            '<meta property="article:published_time" content="2024-03-06T10:00:00Z">',
            "Last updated: November 19, 2025",
            datetime(2024, 3, 6, 10, tzinfo=UTC),
        ),
        # The publication shown too: it stands.
        (
            "",
            "Published March 6, 2024 · Updated November 19, 2025",
            datetime(2024, 3, 6, 10, tzinfo=UTC),
        ),
        # A date shown that is not the update's: the declaration stands.
        ("", "Offer ends December 1, 2025", datetime(2024, 3, 6, 10, tzinfo=UTC)),
    ],
)
def test_a_page_showing_only_its_update_is_dated_by_it(
    open_graph: str, shown: str, published: datetime
) -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "Article", "datePublished": '
        '"2024-03-06T10:00:00Z", "dateModified": "2025-11-19T01:30:00Z"}</script>'
    )
    page = (
        f"<html><head>{ld}{open_graph}</head><body><h1>Die Brücke</h1>"
        f"<p class='byline'>Liza Burke · {shown}</p>{BODY}</body></html>"
    )
    assert extract_article(page).published == published


def test_a_date_in_the_url_comes_before_a_date_in_the_text() -> None:
    # A numeric date in the text is ambiguous (3 October or 10 March); the path is not.
    page = f"<html><body><h1>Die Brücke</h1><p>03/10/2023</p>{BODY}</body></html>"
    published = extract_article(page, "https://x.example/blog/2023/october/03/bridge/").published
    assert published == datetime(2023, 10, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("declared", "published"),
    [
        # In UTC, past midnight where the site is: the day in the path is the site's.
        ("2025-12-19T02:41:41+00:00", datetime(2025, 12, 18, tzinfo=UTC)),
        # On the path's day: the declared time is kept, hour and all.
        ("2025-12-18T21:41:41+00:00", datetime(2025, 12, 18, 21, 41, 41, tzinfo=UTC)),
    ],
)
def test_the_day_in_the_url_outranks_a_declared_time_on_another_day(
    declared: str, published: datetime
) -> None:
    head = f'<meta property="article:published_time" content="{declared}">'
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{BODY}</body></html>"
    assert extract_article(page, "https://x.example/2025/12/18/bridge/").published == published


def test_the_bio_of_the_author_the_page_declares_goes_from_its_end() -> None:
    head = '<meta name="author" content="Jesse Porter">'
    bio = "Jesse Porter is a beverage writer living in Los Angeles."
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{BODY}<p>{bio}</p></body></html>"
    article = extract_article(page)
    assert bio not in article.text
    assert (RemovalReason.AUTHOR_BIO, bio) in [(r.reason, r.text) for r in article.removed]


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        # A label, then past an avatar's seven tags, the name.
        (
            "<span>Written by:</span><picture><source srcset='a.webp'><source srcset='a.jpg'>"
            "<img alt='' src='a.jpg'></picture><span class='x'>Elise Nass</span>",
            "Elise Nass",
        ),
        # The name, then a comma and the writer's role.
        (
            "<div><time>03/01/2017</time> by Agatha Caleo, Candidate Representative</div>",
            "Agatha Caleo",
        ),
        (
            "<span>Authors:</span><a href='/s?q=roy'>Aniruddha Roy</a>, <a>Jyoti Patel</a>",
            "Aniruddha Roy",
        ),
        # Words in lower case are no part of the name.
        ("<p>by Jane Roe on Tuesday, after the vote</p>", None),
        # A year after the comma: a book's author in a caption, not the writer.
        ("<div><i>Wakoku Chiyekurabe</i> by Kan Chu Sen, 1721.</div>", None),
        # A date under the name, day first.
        ("<p class='author'>Andrew Gerrand<br>4 August 2010</p>", "Andrew Gerrand"),
        # A date after the name, its weekday first.
        ("<p class='author'>Jeff Foust Monday, November 18, 2019</p>", "Jeff Foust"),
        ("<p class='author'>Posted by Kim Doe on Friday December 19, 2025</p>", "Kim Doe"),
        # Not the author's bio, nor the post's topic beside its date; a name written twice
        # (for small and large screens) is one.
        (
            "<div class='author-description'>Licensed Q Arabica Grader, M.A. Journalism</div>",
            None,
        ),
        (
            "<div class='blog-post__byline'><a href='/blog/tag/personal-finance'>Personal "
            "finance</a> January 27, 2025</div>",
            None,
        ),
        ("<a id='author-modal' href='/blog/?content_topic=906'>HR Strategy</a>", None),
        ("<div class='author-bio'><h4 class='author-bio__name'>Kim Roe</h4></div>", "Kim Roe"),
        ("<span class='author'>Kim Doe Roe Kim Doe Roe</span>", "Kim Doe Roe"),
        ("<span class='author'>Yang Yang</span>", "Yang Yang"),
        # A team or an agency, "the" first; "the" and words in lower case are no name.
        ("<span class='byline'>By the Lavazza Team</span>", "the Lavazza Team"),
        ("<p class='byline'>Approved by the council, in a vote</p>", None),
        # Other labels: contributors, "Author(s)", a list of authors with their role.
        ("<div class='tags'><strong>Contributors:</strong> Janet Loughrey</div>", "Janet Loughrey"),
        ("<h6>Author(s)</h6><ul><li><a href='/l?a=1'>John A. Alic</a></li></ul>", "John A. Alic"),
        (
            "<div class='field-authors'><p>Authors: Julie Weisenhorn and Natalie Hoidal, "
            "Extension educators</p></div>",
            "Julie Weisenhorn and Natalie Hoidal",
        ),
    ],
)
def test_a_byline_the_page_shows_without_marking_it_is_read(
    byline: str, author: str | None
) -> None:
    page = f"<html><body><h1>Die Brücke</h1>{byline}{BODY}</body></html>"
    assert extract_article(page).author == author


@pytest.mark.parametrize(
    ("declared", "author"),
    [
        # Listed: as one reads them.
        (
            '{"@type": "Article", "author": [{"name": "Jane Roe"}, {"name": "Lu Kim"}]}',
            "Jane Roe and Lu Kim",
        ),
        (
            '{"@type": "Article", "author": ["Jane Roe", "Lu Kim", "Ana Gómez"]}',
            "Jane Roe, Lu Kim, and Ana Gómez",
        ),
        # One string: a name and its role, as written ("By" or "Analysis by" cut off).
        (
            '{"@type": "Article", "author": "TOM KRISHER, AP Auto Writer"}',
            "TOM KRISHER, AP Auto Writer",
        ),
        (
            '{"@type": "Article", "author": "Analysis by Chris Cillizza, CNN Editor-at-large"}',
            "Chris Cillizza, CNN Editor-at-large",
        ),
        # By reference to a person elsewhere in the page's graph of entities.
        (
            '{"@graph": [{"@type": "Article", "author": {"@id": "https://n.example/#/p/1"}}, '
            '{"@type": "Person", "@id": "https://n.example/#/p/1", "name": "Jane Roe"}]}',
            "Jane Roe",
        ),
    ],
)
def test_declared_authors_read_as_the_page_lists_them(declared: str, author: str) -> None:
    head = f'<script type="application/ld+json">{declared}</script>'
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{BODY}</body></html>"
    assert extract_article(page).author == author


def test_a_scholarly_citations_author_is_read_first_name_first() -> None:
    head = '<meta name="citation_author" content="Roy, Aniruddha">'
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{BODY}</body></html>"
    assert extract_article(page).author == "Aniruddha Roy"


@pytest.mark.parametrize(
    ("h1", "title", "expected"),
    [
        # The site's name in its header, a link up to its home or a section: not the
        # headline, which the declared title gives.
        ('<a href="/">Blog Example</a>', "Die Brücke – Blog Example", "Die Brücke"),
        ('<a href="../">Blog Example</a>', "Die Brücke | Blog Example", "Die Brücke"),
        # A headline that links to the article itself is the headline.
        ('<a href="/2025/12/bridge/">Die Brücke</a>', "Die Brücke – Blog Example", "Die Brücke"),
        # The <h1> is the title's suffix, the rest longer: the site's name over the headline.
        ("The Go Blog", "Defer, Panic, and Recover - The Go Blog", "Defer, Panic, and Recover"),
        # The <h1> is the title's last part, the rest a section's name: the <h1> is it.
        (
            "Republicans Are Following Trump",
            "Opinion | Republicans Are Following Trump",
            "Republicans Are Following Trump",
        ),
    ],
)
def test_the_headline_is_not_the_sites_name_over_it(h1: str, title: str, expected: str) -> None:
    page = f"<html><head><title>{title}</title></head><body><h1>{h1}</h1>{BODY}</body></html>"
    article = extract_article(page, "https://blog.example/2025/12/bridge/")
    assert article.title == expected


@pytest.mark.parametrize(
    ("h1s", "title", "expected"),
    [
        # A site's name that holds a separator is one suffix, in two parts.
        ([], "Rankings of the Year - Acme Consulting - MBA Admissions", "Rankings of the Year"),
        # The site's name after the headline on the page, too.
        (["Best Exhibitions of the Year – Acme Consulting"], "", "Best Exhibitions of the Year"),
        # The site's name in an <h1> of its header, the headline in the next one.
        (
            ["The Acme Blog", "Defer, Panic, and Recover"],
            "Defer, Panic, and Recover - The Go Programming Language",
            "Defer, Panic, and Recover",
        ),
    ],
)
def test_the_sites_name_is_taken_off_the_headline(
    h1s: list[str], title: str, expected: str
) -> None:
    head = (
        '<meta property="og:site_name" content="Acme Consulting - MBA Admissions">'
        f"<title>{title}</title>"
    )
    headings = "".join(f"<h1>{h1}</h1>" for h1 in h1s)
    page = f"<html><head>{head}</head><body>{headings}{BODY}</body></html>"
    article = extract_article(page, "https://blog.example/2025/12/bridge/")
    assert article.title == expected


def test_a_link_to_the_authors_page_is_the_byline() -> None:
    # A link to the list of them all, in the menu above, names nobody.
    page = (
        "<html><body><nav><a href='https://news.example/people/'>Our People</a>"
        "<a href='/staff/?page=2'>Staff Directory</a></nav>"
        "<h1>Die Brücke</h1><div class='meta'><svg></svg>"
        '<span><a href="/authors/trevor-jackins">Trevor Jackins</a></span></div>'
        f'{BODY}<p>Filed under <a href="/topics/bridges/">Bridges</a></p></body></html>'
    )
    assert extract_article(page).author == "Trevor Jackins"


@pytest.mark.parametrize(
    ("declared", "byline", "author"),
    [
        # A template's variable left in the page is no name: the byline is.
        ("page.head.extra.author", "<span class='post-author'>Tim Enwall</span>", "Tim Enwall"),
        ("{{ author.name }}", "<span class='post-author'>Tim Enwall</span>", "Tim Enwall"),
        # A user name gives way to the byline, when there is one.
        (
            "andrew.keaveney",
            "<span class='post-author'>Denise Everheart</span>",
            "Denise Everheart",
        ),
        ("sara.r.peter", "", "sara.r.peter"),
        ("Jane Roe", "<span class='post-author'>Tim Enwall</span>", "Jane Roe"),
    ],
)
def test_a_declared_author_that_is_no_persons_name_gives_way_to_the_byline(
    declared: str, byline: str, author: str
) -> None:
    head = f'<meta name="author" content="{declared}">'
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{byline}{BODY}</body></html>"
    assert extract_article(page).author == author


@pytest.mark.parametrize(
    ("declared", "byline", "author"),
    [
        # A site's account is nobody's name: the byline, or no author.
        ('<meta name="author" content="admin">', "", None),
        ('<meta name="author" content="Administrator">', "<p>By Kim Roe</p>", "Kim Roe"),
        ("", "<p class='byline'>Posted by Admin</p>", None),
        # A sharing card's line labelled as the writer's, where nothing else names one.
        (
            '<meta name="twitter:label1" content="Written by">'
            '<meta name="twitter:data1" content="Nawaz Dhandala">',
            "",
            "Nawaz Dhandala",
        ),
        (
            '<meta name="twitter:label1" content="Est. reading time">'
            '<meta name="twitter:data1" content="3 minutes">',
            "",
            None,
        ),
        # The byline comes first: a card may name the account that posted the story.
        (
            '<meta name="twitter:label1" content="Written by">'
            '<meta name="twitter:data1" content="Sudeep Srivastava">',
            "<p>By Chirag Bhardwaj</p>",
            "Chirag Bhardwaj",
        ),
    ],
)
def test_an_account_is_no_author_and_a_sharing_card_names_one_last(
    declared: str, byline: str, author: str | None
) -> None:
    page = f"<html><head>{declared}</head><body><h1>Die Brücke</h1>{byline}{BODY}</body></html>"
    assert extract_article(page).author == author


def test_a_declared_mailbox_gives_way_to_the_byline() -> None:
    head = '<meta name="author" content="ops@news.example">'
    byline = "<span class='post-author'>Arlene Marturano</span>"
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{byline}{BODY}</body></html>"
    assert extract_article(page).author == "Arlene Marturano"


def test_a_date_in_the_authors_place_is_no_author() -> None:
    page = (
        "<html><body><h1>Die Brücke</h1><span class='entry-author'>Sat, 12 Jan 2025</span>"
        f"{BODY}</body></html>"
    )
    assert extract_article(page).author is None


@pytest.mark.parametrize(
    ("shown", "author"),
    [
        # What tells about someone is no name: the next byline is.
        ("Dan lives and works in Calgary", "Kim Roe"),
        ("Corti AI platform for healthcare", "Kim Roe"),
        # Particles and one lower-case word are a name's, or a byline's.
        ("Ludwig van der Berg", "Ludwig van der Berg"),
        ("Amira al-Rashid and Jean d'Arc", "Amira al-Rashid and Jean d'Arc"),
        ("The Currency editors", "The Currency editors"),
    ],
)
def test_a_sentence_in_the_authors_place_is_no_author(shown: str, author: str) -> None:
    page = (
        f"<html><body><h1>Die Brücke</h1><span class='entry-author'>{shown}</span>"
        f"<span class='byline'>Kim Roe</span>{BODY}</body></html>"
    )
    assert extract_article(page).author == author


@pytest.mark.parametrize(
    "other",
    [
        # A commenter's name, marked as a comment's author.
        '<ol class="comment-list"><li><div class="comment-body"><span itemprop="author">'
        "Anna Guest</span><p>Great read!</p></div></li></ol>",
        # A comment form's name field.
        '<form><div class="form-field"><label class="author">Anna Nama</label>'
        '<input name="author"></div></form>',
        # A person the text mentions, linked to their page.
        "<p>The plan was approved, and it will be paid for by the state, says city engineer "
        "<a href='/people/anna-roe'>Anna Roe</a>, who has led the work on the bridge since it "
        "was first proposed ten years ago.</p>",
    ],
)
def test_a_commenter_or_a_person_the_text_mentions_is_not_the_author(other: str) -> None:
    page = (
        f"<html><body><h1>Die Brücke</h1>{other}<p class='byline'>Text: Kim Roe</p>"
        f"{BODY}</body></html>"
    )
    assert extract_article(page).author == "Kim Roe"


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        # The site's name in an author's place is the site's, not a byline ...
        ("<span class='post-author'>Acme Dental Care</span>", None),
        # ... unless the page labels it as one: the site wrote it.
        ("<span class='post-author'>By Acme Dental Care</span>", "Acme Dental Care"),
        ("<p class='byline'>Written by Acme Dental Care</p>", "Acme Dental Care"),
        # ... or marks it as the author's.
        ("<span>By</span> <strong itemprop='author'>Acme Dental Care</strong>", "Acme Dental Care"),
        ("<a rel='author' href='/about'>Acme Dental Care</a>", "Acme Dental Care"),
    ],
)
def test_the_sites_own_name_is_a_byline_only_when_labelled_or_marked_as_one(
    byline: str, author: str | None
) -> None:
    head = '<meta property="og:site_name" content="Acme Dental Care">'
    page = f"<html><head>{head}</head><body><h1>Die Brücke</h1>{byline}{BODY}</body></html>"
    assert extract_article(page).author == author


def test_a_byline_is_looked_for_from_the_body_on_in_a_page_without_a_headline() -> None:
    styles = "<style>" + ".a{color:red}\n" * 3000 + "</style>"  # 42 kB of the head's styles
    page = (
        f"<html><head>{styles}</head><body><h2>Die Brücke</h2>"
        f"<p>By <strong>Md Aynal Haque</strong></p>{BODY}</body></html>"
    )
    assert extract_article(page).author == "Md Aynal Haque"


def test_a_byline_labelled_article_by_in_an_element_of_its_own_is_read() -> None:
    page = (
        "<html><body><h1>Die Brücke</h1>"
        "<h2 class='text-3xl'>Article by</h2><div class='text-xl'>Matias Heikkilä</div>"
        f"{BODY}</body></html>"
    )
    assert extract_article(page).author == "Matias Heikkilä"


def test_paragraphs_inside_a_list_item_or_quote_keep_their_words_apart() -> None:
    items = "".join(
        f"<li><p>Item {n} names a tool every developer</p><p>Read more</p></li>" for n in range(3)
    )
    page = (
        f"<html><body><article>{BODY}{BODY.replace('Sommer', 'Herbst')}<ul>{items}</ul>"
        "<blockquote><p>First line of the quote</p><p>second line</p></blockquote>"
        "</article></body></html>"
    )
    text = extract_article(page).text
    assert "developer Read more" in text and "developerRead" not in text
    assert "quote second line" in text


def test_utf8_a_site_stored_as_windows_1252_is_put_back_in_text_blocks_and_title() -> None:
    def garbled(text: str) -> str:
        return text.encode().decode("cp1252")

    title = "A DIY Investor’s Guide"
    paragraphs = [
        "The investor’s first question — how much is enough — has no single answer for everyone.",
        "A calculator’s answer depends on what it is told about returns, inflation and spending.",
    ]
    body = "".join(f"<p>{garbled(p)}</p>" for p in paragraphs)
    page = (
        f'<html><head><meta property="og:title" content="{garbled(title)}"></head>'
        f"<body><h1>{garbled(title)}</h1><article>{body}</article></body></html>"
    )
    article = extract_article(page.encode())
    assert article.title == title
    assert article.text == "\n\n".join(paragraphs)
    assert "’" in article.html and "â€" not in article.html


def test_a_date_inside_the_headline_is_not_part_of_the_title() -> None:
    page = (
        "<html><head><title>Preparing a transition | Colin's blog</title></head><body>"
        '<h1><a href="/p"><time datetime="2025-12-18">Dec <span>18</span> 2025</time> '
        f"Preparing a transition</a></h1>{BODY}</body></html>"
    )
    assert extract_article(page, "https://blog.example/p").title == "Preparing a transition"


def test_a_declared_title_in_straight_quotes_whole_loses_them() -> None:
    ld = '{"@type": "BlogPosting", "headline": "\\"What is Git?\\""}'
    page = (
        f'<html><head><script type="application/ld+json">{ld}</script></head><body>'
        f"<h1 class='site-title'>Terabyte Systems</h1>{BODY}</body></html>"
    )
    assert extract_article(page, "https://terabyte.example/git").title == "What is Git?"
