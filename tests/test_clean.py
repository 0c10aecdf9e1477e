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


def test_label_at_the_very_end_goes() -> None:
    blocks = [
        Block("The article itself, written as sentences, ends here."),
        Block("Related stories"),
    ]
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
