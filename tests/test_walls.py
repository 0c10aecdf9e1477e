"""Walls and the feed as a second source: pure rules, tested directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.extract.article import extract_article
from ingest.extract.feed import feed_article, with_feed
from ingest.extract.walls import wall_reason
from ingest.types import EntryData

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
T = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        (["This article is for subscribers only. Subscribe now to continue reading."], "paywall"),
        (
            [
                "Ce contenu est réservé aux abonnés.",
                "Abonnez-vous pour lire la suite de cet article, dès 1 € le premier mois.",
            ],
            "paywall",
        ),
        (
            [
                "Your Privacy",
                "We and our partners store and/or access information on a device, such as "
                "cookies, and process personal data for personalised ads and content, ad and "
                "content measurement, audience insights and product development.",
                "You can accept all, reject all or manage preferences at any time.",
            ],
            "consent",
        ),
        (
            [
                "Wir und unsere Partner verwenden Cookies. Mit Klick auf Alle akzeptieren "
                "stimmen Sie zu; unter Datenschutzeinstellungen können Sie wählen."
            ],
            "consent",
        ),
        (
            ["Please enable JavaScript to view this page.", "Your browser is not supported."],
            "javascript",
        ),
        ([], "empty"),
        (["", "  "], "empty"),
    ],
)
def test_a_wall_is_recognised_by_its_shape(blocks: list[str], expected: str) -> None:
    assert wall_reason(blocks) == expected


@pytest.mark.parametrize(
    "blocks",
    [
        # Stories about subscriptions, cookies and privacy are stories.
        [
            "The streaming service raised the price of its basic subscription by two dollars "
            "on Tuesday, its second increase in a year.",
            "Subscribers on annual plans keep their current price until renewal, the company "
            "said, and the ad-supported tier is unchanged.",
        ],
        [
            "Regulators fined the retailer 2 million euros for setting advertising cookies "
            "before visitors had given their consent, the authority said on Monday.",
            "The company said it had already changed its privacy settings and would appeal.",
        ],
        # An article with a subscription box under it stays an article.
        [
            "The council voted on Tuesday to rebuild the harbour wall before the winter storms, "
            "after engineers warned that the old stones could give way in a single season. "
            "Work starts next month and should take two years, the mayor said." * 3,
            "Subscribe to continue reading our local coverage.",
        ],
    ],
)
def test_a_story_about_the_same_words_is_not_a_wall(blocks: list[str]) -> None:
    assert wall_reason(blocks) is None


def _truth_texts() -> list[str]:
    texts = []
    aeb = BENCH / "aeb" / "ground-truth.json"
    if aeb.exists():
        texts += [v["articleBody"] for v in json.loads(aeb.read_text(encoding="utf-8")).values()]
    for path in sorted((BENCH / "wcxb-dev" / "ground-truth").glob("*.json")):
        texts.append(json.loads(path.read_text(encoding="utf-8"))["main_content"])
    return texts


@pytest.mark.skipif(not BENCH.exists(), reason=f"benchmark data not found at {BENCH}")
def test_no_real_article_of_either_benchmark_is_a_wall() -> None:
    texts = _truth_texts()
    assert len(texts) > 900
    walls = [t[:80] for t in texts if wall_reason([p for p in t.split("\n") if p.strip()])]
    assert walls == []


STORY = "".join(
    f"<p>Paragraph {n} of the story tells what the council decided about the harbour, "
    f"who spoke, and what happens next in the town of Port {n}.</p>"
    for n in range(12)
)


def page(body: str, head: str = "") -> bytes:
    return f"<html><head>{head}</head><body><article>{body}</article></body></html>".encode()


def test_the_page_wins_where_it_has_metadata_and_the_entry_fills_the_rest() -> None:
    article = extract_article(page(STORY, "<title>Harbour wall</title>"), "https://a.example/s")
    merged = with_feed(article, EntryData("Feed title", "Jane Reporter", T, None))
    assert (merged.title, merged.author, merged.published) == ("Harbour wall", "Jane Reporter", T)
    assert merged.feed_fields == ("author", "published")
    assert (merged.text, merged.text_source) == (article.text, "page")


def test_a_wall_takes_the_entry_s_title_date_and_content() -> None:
    stub = page("<p>This article is for subscribers only. Subscribe now to continue reading.</p>")
    article = extract_article(stub.replace(b"<head>", b"<head><title>Daily News</title>"))
    assert article.wall == "paywall"
    merged = with_feed(article, EntryData("The story", None, T, STORY))
    assert (merged.title, merged.published, merged.text_source) == ("The story", T, "feed")
    assert merged.wall == "paywall"  # the page is still a wall: it never merges
    assert "Paragraph 11 of the story" in merged.text and "<p>" in merged.html
    assert merged.feed_fields == ("title", "published", "text")


def test_a_page_with_much_less_text_than_its_feed_takes_the_feed_s() -> None:
    teaser = extract_article(page("<p>" + "A short teaser of the harbour story, " * 3 + "</p>"))
    assert with_feed(teaser, EntryData(content=STORY)).text_source == "feed"
    full = extract_article(page(STORY))
    assert with_feed(full, EntryData(content="<p>A summary of it.</p>")).text_source == "page"


def test_a_failed_page_is_the_feed_s_article_alone_sanitised_and_cleaned() -> None:
    content = STORY + "<script>alert(1)</script><p>Share this article on Facebook</p>" + STORY
    article = feed_article(EntryData("Title", "Author", T, content))
    assert article.text_source == "feed" and article.text.count("Paragraph 3 of") == 1
    assert "alert" not in article.html and "Facebook" not in article.text
    assert {r.reason for r in article.removed} >= {"duplicate", "boilerplate"}
    assert with_feed(None, EntryData("Title", None, None, None)).text == ""
