"""Cleaning, on plain text: golden files, the seed, and each rule directly."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.extract.clean import clean_blocks, clean_text, text_blocks
from ingest.text import normalise
from ingest.types import Block, BlockKind, RemovalReason

GOLDEN = Path(__file__).parent / "golden" / "clean"
SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_746eb28fecbf4f06.txt"


@pytest.mark.parametrize(
    "name", sorted(p.name.removesuffix(".input.txt") for p in GOLDEN.glob("*.input.txt"))
)
def test_golden(name: str) -> None:
    cleaned = clean_text((GOLDEN / f"{name}.input.txt").read_text(encoding="utf-8"))
    expected = (GOLDEN / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    assert cleaned.text == expected


@pytest.mark.skipif(not SEED.exists(), reason=f"seed not found at {SEED}")
def test_the_seed_cleans_to_its_23_paragraphs_once_in_order() -> None:
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    cleaned = clean_text(SEED.read_text(encoding="utf-8"))
    paragraphs = cleaned.text.split("\n\n")
    assert paragraphs == lines[:23]
    assert len(set(paragraphs)) == 23
    label = lines.index("You may also like")
    spam = lines[label:]
    assert len(spam) == 6
    for line in spam:
        assert line not in cleaned.text
    reasons = [r.reason for r in cleaned.removed]
    assert reasons.count(RemovalReason.DUPLICATE) == label - 23
    assert reasons.count(RemovalReason.RELATED) == len(spam)


def test_every_removal_is_recorded_with_its_reason() -> None:
    cleaned = clean_text(
        (GOLDEN / "inline-read-more-and-boilerplate.input.txt").read_text(encoding="utf-8")
    )
    assert [(r.reason, r.text) for r in cleaned.removed] == [
        (
            RemovalReason.RELATED,
            "READ MORE: Five things to know about the housing market this autumn",
        ),
        (RemovalReason.BOILERPLATE, "Share this article on Facebook"),
        (RemovalReason.BOILERPLATE, "We use cookies to improve your experience on our site."),
        (RemovalReason.BOILERPLATE, "Advertisement"),
    ]


def test_normalise_folds_what_copies_differ_in() -> None:
    a = "“Quoted” — text &amp; more\u00a0 spaces"
    b = '"quoted" - TEXT & more spaces'
    assert normalise(a) == normalise(b) == "quoted text more spaces"


def test_short_repeats_stay_unless_part_of_a_repeated_section() -> None:
    blocks = [
        Block("Q: Why?"),
        Block("Because the river rose faster than forecast overnight."),
        Block("Q: Why?"),
        Block("Because nobody had cleared the drains since the spring."),
    ]
    assert clean_blocks(blocks).removed == ()


def test_link_dense_blocks_are_related_links() -> None:
    blocks = [
        Block("A full paragraph of the article that says something useful."),
        Block("Another story headline", link_density=1.0),
    ]
    assert [r.reason for r in clean_blocks(blocks).removed] == [RemovalReason.RELATED]


COURSES = ["Programming with Python", "Introduction to Data Analysis", "Database Design"]


@pytest.mark.parametrize(
    ("intro", "prose_after", "kept"),
    [
        # A list of links that a sentence of the article introduces, the article going on
        # after it, is the article's: a listicle's items linked to their pages.
        ("Here are some of the free programs offered on the platform:", True, True),
        # The same list at the end: other pages offered, not the article.
        ("Here are some of the free programs offered on the platform:", False, False),
        # An offer of other pages, or a label, introduces related links wherever it stands.
        ("You may also be interested in the following articles:", True, False),
        ("Related stories:", True, False),
    ],
)
def test_a_list_of_links_the_article_introduces_stays(
    intro: str, prose_after: bool, kept: bool
) -> None:
    items = [Block(c, BlockKind.LIST_ITEM, link_density=1.0) for c in COURSES]
    after = [Block(ARTICLE[1])] if prose_after else []
    cleaned = clean_blocks([Block(ARTICLE[0]), Block(intro), *items, *after])
    assert all(c in cleaned.text for c in COURSES) is kept
    assert any(c in cleaned.text for c in COURSES) is kept


@pytest.mark.parametrize("label", ["Related stories", "Other Posts You May Enjoy"])
def test_label_at_the_very_end_goes(label: str) -> None:
    blocks = [Block("The article itself, written as sentences, ends here."), Block(label)]
    assert [r.reason for r in clean_blocks(blocks).removed] == [RemovalReason.RELATED]


def test_a_label_followed_by_prose_stays() -> None:
    blocks = [Block("Related"), Block("This paragraph is prose and explains how it relates.")]
    assert clean_blocks(blocks).removed == ()


def test_text_blocks_joins_hard_wrapped_paragraphs_and_reads_bullets() -> None:
    text = "First line of a paragraph that wraps\nonto a second line.\n\n- one\n* two\nNew one."
    assert text_blocks(text) == [
        Block("First line of a paragraph that wraps onto a second line."),
        Block("one", BlockKind.LIST_ITEM),
        Block("two", BlockKind.LIST_ITEM),
        Block("New one.", BlockKind.PARAGRAPH),
    ]


ARTICLE = [
    "The council approved the new cycling lanes after a long debate on Tuesday evening.",
    "Residents on the high street had asked for safer crossings for several years.",
    "Work on the first section starts in March and should end before the summer.",
]
OTHER_TITLES = [
    "Best Moving Companies in New York (2025)",
    "What Accounting Software Do Successful Freelancers Use?",
    "The 10 Best Car Rental Companies in 2025 [Rates, Service, Loyalty, and More]",
    "How to Start a Vegetable Garden: A Step-by-Step Guide",
]


def texts(blocks: list[Block]) -> list[str]:
    return clean_blocks(blocks).text.split("\n\n")


def test_a_trailing_run_of_other_titles_goes_without_a_label() -> None:
    blocks = [Block(t) for t in ARTICLE + OTHER_TITLES]
    assert texts(blocks) == ARTICLE
    assert {r.reason for r in clean_blocks(blocks).removed} == {RemovalReason.RELATED}


def test_a_label_of_any_language_is_found_by_shape_at_the_end() -> None:
    for label in ("Mohlo by vás zajímat", "Διαβάστε επίσης", "İlginizi çekebilir"):
        assert texts([Block(t) for t in [*ARTICLE, label, *OTHER_TITLES]]) == ARTICLE


def test_after_a_known_label_titles_go_whatever_words_they_share() -> None:
    shared = ["New cycling lanes approved in the next town", "Safer crossings: what works?"]
    blocks = [Block(t) for t in [*ARTICLE, "You may also like", *shared, "Exhibitions"]]
    assert texts(blocks) == ARTICLE


def test_the_articles_own_trailing_lists_stay() -> None:
    introduced = [*ARTICLE, "The works will close these streets:", "Mill Lane", "Station Road"]
    numbered = [*ARTICLE, "References", "1. Council minutes, 2025", "2. Transport plan"]
    table = [*ARTICLE, "Street | Closed", "Mill Lane | March", "Station Road | April"]
    terms = [*ARTICLE, "Tags", "Cycling", "Council", "Transport"]
    own = [*ARTICLE, "The council's new cycling lanes", "Safer crossings on the high street"]
    for lines in (introduced, numbered, table, terms, own):
        assert texts([Block(t) for t in lines]) == lines, lines


def test_titles_that_end_with_an_exclamation_or_in_title_case_with_a_period_are_titles() -> None:
    """One such title among the others used to end the run there, and keep those before it."""
    titles = [
        OTHER_TITLES[0],
        "Cheap Fixes Are the Best!",
        OTHER_TITLES[1],
        "Things to Know Before Travelling to Japan for the First Time.",
        OTHER_TITLES[3],
    ]
    assert texts([Block(t) for t in ARTICLE + titles]) == ARTICLE


def test_titles_after_the_articles_own_introduced_list_go_and_the_list_stays() -> None:
    own = [*ARTICLE, "The works will close these streets:"]
    items = [Block("Mill Lane", BlockKind.LIST_ITEM), Block("Station Road", BlockKind.LIST_ITEM)]
    blocks = [*map(Block, own), *items, *map(Block, OTHER_TITLES)]
    assert texts(blocks) == [*own, "- Mill Lane\n- Station Road"]


def test_a_heading_and_its_list_at_the_end_stay() -> None:
    """A review's closing "Pros" and "Cons" lists are the article's, whatever their words."""
    pros = [Block("Pros"), Block("Extraordinary cleaning power", BlockKind.LIST_ITEM)]
    cons = [Block("Cons"), Block("Occasionally smelly gasket", BlockKind.LIST_ITEM)]
    blocks = [*map(Block, ARTICLE), *pros, *cons]
    assert clean_blocks(blocks).removed == ()


def test_other_titles_go_after_an_article_that_shares_their_common_words() -> None:
    """An article uses "best", "what", "your", "this", "more": the words other titles are
    made of. Only longer words tell whose a title is."""
    general = (
        "What you need to know about the best guide to your home this year, with more tips "
        "from us on what will work for most people and how they have done it."
    )
    titles = [
        "The Best Home Guide: What Your Garden Needs This Year",
        "More Tips From Experts About Saving Money",
        "What Will Your Kitchen Look Like With These Ideas?",
    ]
    article = [*ARTICLE, general]
    assert texts([Block(t) for t in article + titles]) == article


def test_a_closing_line_and_a_closing_question_stay() -> None:
    for last in ("Until next time…", "What do you think?"):
        assert texts([Block(t) for t in [*ARTICLE, last]]) == [*ARTICLE, last]


def test_a_repeated_list_goes_with_the_section_it_belongs_to() -> None:
    section = [Block(ARTICLE[0]), Block("Pros"), Block("Light", BlockKind.LIST_ITEM)]
    section += [Block("Cheap", BlockKind.LIST_ITEM), Block(ARTICLE[1])]
    cleaned = clean_blocks(section + section)
    assert cleaned.blocks == tuple(section)


def test_a_templates_repeated_short_lines_stay() -> None:
    """Each product of a comparison has its "Pros" and "Battery" lines: no section repeats."""
    blocks = []
    for name in ("Alpha", "Beta"):
        blocks += [Block(f"The {name} phone has a bright screen and a sturdy frame for the price.")]
        blocks += [Block("Pros"), Block("Battery"), Block("Screen")]
    assert clean_blocks(blocks).removed == ()


def test_a_sentence_that_mentions_a_subscription_stays() -> None:
    lines = [
        *ARTICLE,
        "I also subscribe to many non-tech newsletters about gardening and local history.",
        "The newsletter is published once a month.",
    ]
    assert texts([Block(t) for t in lines]) == lines
    calls = ["Sign up for our newsletter", "We use cookies to improve your experience."]
    assert texts([Block(t) for t in [*ARTICLE, *calls]]) == ARTICLE


def test_a_table_of_contents_and_the_headings_it_lists_stay() -> None:
    sections = ["Why the lanes were approved", "What changes on the high street", "When work ends"]
    toc = [Block("Contents"), *(Block(s, BlockKind.LIST_ITEM) for s in sections)]
    body = [b for s, text in zip(sections, ARTICLE, strict=True) for b in (Block(s), Block(text))]
    assert clean_blocks([*toc, *body]).removed == ()


def test_a_consent_box_and_a_forms_fine_print_go_whatever_their_length() -> None:
    fine_print = [
        "This website uses cookies to improve your experience while you navigate through the "
        "website. Out of these, the cookies that are categorized as necessary are stored on "
        "your browser as they are essential for the working of basic functionalities of the "
        "website. We also use third-party cookies that help us analyze and understand how you "
        "use this website. These cookies will be stored in your browser only with your consent.",
        "By clicking Sign Me Up, you confirm you are 16+ and agree to our Terms of Use and "
        "Privacy Policy.",
    ]
    blocks = [Block(t) for t in [ARTICLE[0], fine_print[1], *ARTICLE[1:], fine_print[0]]]
    assert texts(blocks) == ARTICLE
    assert [r.reason for r in clean_blocks(blocks).removed] == [RemovalReason.BOILERPLATE] * 2


def test_the_articles_own_sentences_about_consent_stay() -> None:
    """Worded like a consent box, but not said by the site: a story about one."""
    lines = [
        *ARTICLE,
        "Regulators say a reject all button must be as easy to find as accept all, and that a "
        "privacy policy cannot hide the choice behind several screens of cookie settings.",
    ]
    assert texts([Block(t) for t in lines]) == lines


def test_an_affiliate_disclosure_goes_and_the_articles_own_mentions_stay() -> None:
    disclosures = [
        "This post may contain affiliate links, which means we may earn a small commission if "
        "you make a purchase through them, at no extra cost to you.",
        "As a partner of the store I earn from qualifying purchases.",
        "Disclosure: some of my posts contain affiliate links.",
    ]
    mentions = [
        "I use this liquid castile soap, just in case you were wondering (both are affiliate "
        "links).",
        "Bloggers add affiliate links to their reviews to earn a commission on each sale.",
    ]
    lines = [disclosures[0], ARTICLE[0], *mentions, *ARTICLE[1:], *disclosures[1:]]
    assert texts([Block(t) for t in lines]) == [ARTICLE[0], *mentions, *ARTICLE[1:]]


def test_a_shops_buttons_go_and_a_sentence_that_starts_alike_stays() -> None:
    buttons = ["Check price at REI", "See price at Amazon (on sale!)", "Buy now", "Jetzt kaufen"]
    sentence = "Check prices before you travel, because fares change daily on most routes."
    lines = [ARTICLE[0], *buttons[:2], ARTICLE[1], sentence, *buttons[2:], ARTICLE[2]]
    assert texts([Block(t) for t in lines]) == [ARTICLE[0], ARTICLE[1], sentence, ARTICLE[2]]


def test_the_byline_and_dateline_at_the_head_go_as_bylines() -> None:
    head = [
        "By Tess Bonn - 11/19/19 06:56 AM EST",
        "Updated 1:39 am EST, Wednesday, November 20, 2019",
    ]
    stays = [
        "By understanding the basics of how electricity is distributed, you stay safe.",
        "Posted in News Release",
    ]
    blocks = [Block(t) for t in [*head, *stays, *ARTICLE, "Updated March 13, 2024"]]
    cleaned = clean_blocks(blocks)
    assert cleaned.text.split("\n\n") == [*stays, *ARTICLE, "Updated March 13, 2024"]
    assert [(r.reason, r.text) for r in cleaned.removed] == [
        (RemovalReason.BYLINE, t) for t in head
    ]


def test_a_byline_after_the_first_long_paragraph_is_the_articles_own() -> None:
    lead = " ".join(ARTICLE * 2)  # past the words a head line has
    lines = [lead, "By Jane Roe, who covered the council for ten years"]
    assert texts([Block(t) for t in lines]) == lines


@pytest.mark.parametrize(
    ("author", "bio"),
    [
        ("Jane Roe", ["About the author", "Jane Roe", "Jane Roe is a reporter at the Post."]),
        ("Jane Roe", ["About the author: Jane has covered the council since 2019."]),
        ("Jane Roe, MD", ["Jane Roe, MD, writes about public health for the Post."]),
        ("Lucas Kim and Jane Roe", ["Jane Roe’s book on cities came out in 2023."]),
    ],
)
def test_the_authors_bio_at_the_end_goes(author: str, bio: list[str]) -> None:
    cleaned = clean_blocks([Block(t) for t in [*ARTICLE, *bio]], author)
    assert cleaned.text.split("\n\n") == ARTICLE
    assert [(r.reason, r.text) for r in cleaned.removed] == [
        (RemovalReason.AUTHOR_BIO, t) for t in bio
    ]


@pytest.mark.parametrize(
    ("author", "lines"),
    [
        # The article's own last lines about its subject, who shares a first name, or a
        # company that signs it.
        ("Jane Roe", ["Jane Goodall is a primatologist, and she spoke on Tuesday."]),
        ("QCY Official", ["QCY is already embracing these trends with its headphones."]),
        ("Benjamin Roe, Director, Atlas Lines", ["Atlas’s packing service moved 300 homes."]),
        # Not at the end: the writer speaking in the article.
        (
            "Jane Roe",
            [
                "Jane Roe is a reporter at the Post, and she rode the lanes for this story.",
                "The mayor said the plan would cost less than the council had feared.",
                "Cyclists welcomed the decision at the meeting on Tuesday evening.",
                "Shop owners on the high street were less pleased with the parking plan.",
                "A second vote on the northern section follows in June.",
            ],
        ),
        # No author known.
        (None, ["Jane Roe is a reporter at the Post."]),
    ],
)
def test_lines_that_only_look_like_a_bio_stay(author: str | None, lines: list[str]) -> None:
    blocks = [Block(t) for t in [*ARTICLE, *lines]]
    assert clean_blocks(blocks, author).text.split("\n\n") == [*ARTICLE, *lines]


def test_the_sites_taxonomy_lines_go() -> None:
    taxonomy = [
        "Tags: Employment, Health & Fitness, Mid-sized Businesses",
        "Filed under: Politics |",
        "Schlagwörter: Verkehr, Stadtrat",
    ]
    about = "Tags are how the council files its decisions, one for each district."
    lines = [taxonomy[0], *ARTICLE, about, *taxonomy[1:]]
    assert texts([Block(t) for t in lines]) == [*ARTICLE, about]


def test_labels_left_without_what_they_label_go() -> None:
    """A table of contents' label whose list of links went, a comment thread's at the end."""
    lines = ["Table of Contents", *ARTICLE, "3 Comments", "Leave a Reply"]
    cleaned = clean_blocks([Block(t) for t in lines])
    assert cleaned.text.split("\n\n") == ARTICLE
    assert [r.reason for r in cleaned.removed] == [
        RemovalReason.RELATED,
        RemovalReason.COMMENTS,
        RemovalReason.COMMENTS,
    ]
    # With its list, the label stays; "Comments" inside the article is a heading of it.
    toc = [Block("In this article"), *(Block(s, BlockKind.LIST_ITEM) for s in ("One", "Two"))]
    body = [Block(ARTICLE[0]), Block("Comments"), Block(ARTICLE[1])]
    assert clean_blocks([*toc, *body]).removed == ()
