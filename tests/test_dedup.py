"""Deduplication: the pure decisions, and the store after articles are taken in."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy import text as sql

from ingest.dedup.decide import (
    MIN_MERGE_WORDS,
    Action,
    Decision,
    MergeScope,
    decide,
    merge_scope,
    outcome,
    wrongly_merged,
)
from ingest.dedup.fingerprint import (
    _PRIME,
    MIN_NEAR_WORDS,
    _mod_prime,
    band_keys,
    choose_canonical_url,
    content_hash,
    content_words,
    fingerprint,
    is_near_duplicate,
)
from ingest.dedup.prepare import Prepared, host_key, prepare
from ingest.dedup.site_boilerplate import SITE_BOILERPLATE, block_key, site_lines
from ingest.errors import StoreConflict
from ingest.extract.article import Article
from ingest.types import Block, Candidate, Intake, Outcome, Removed
from ingest.urls import canonical_url
from ingest.worker.writer import parts, take_in, take_in_all
from storage.intake import IntakeTransaction
from storage.models import Article as ArticleRow
from storage.models import ArticleUrl, NearDupBand, RemovedBlock
from tests.helpers.records import run_together

TRUTH = Path(__file__).resolve().parents[2] / "shared" / "bench" / "aeb" / "ground-truth.json"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def texts() -> list[str]:
    """Real article texts: the benchmark's ground truth when present, else made-up ones."""
    if TRUTH.exists():
        truth = json.loads(TRUTH.read_text(encoding="utf-8"))
        return [v["articleBody"] for _, v in sorted(truth.items()) if len(v["articleBody"]) > 2000]
    rng = random.Random(3)
    vocabulary = [f"word{i}" for i in range(3000)]
    return [" ".join(rng.choices(vocabulary, k=400)) + "." for _ in range(40)]


TEXTS = texts()


def edited(text: str, share: float, seed: int = 1) -> str:
    rng = random.Random(seed)
    words = text.split(" ")
    for i in rng.sample(range(len(words)), max(1, int(len(words) * share))):
        words[i] = "changed"
    return " ".join(words)


def fp(text: str):  # type: ignore[no-untyped-def]
    return fingerprint(content_words(text))


def article(text: str, title: str = "T", canonical: str | None = None) -> Article:
    return Article(title, None, None, "en", canonical, None, None, text, (Block(text),), ())


# The pure decisions.


def test_tracking_parameter_variants_share_a_canonical_url() -> None:
    base = "https://news.example/2026/story-1"
    variants = [
        base + "?utm_source=twitter&utm_medium=social",
        base + "?fbclid=IwAR0abc",
        base + "#comments",
        "HTTPS://NEWS.EXAMPLE:443/2026/story-1?gclid=x&mc_cid=y&ref=home",
        "https://m.news.example/2026/story-1/amp",
    ]
    assert {canonical_url(v) for v in variants} == {base}


def test_a_declared_canonical_is_trusted_on_the_same_site_only() -> None:
    page = "https://www.news.example/a/b?utm_source=x"
    assert choose_canonical_url(page, "https://news.example/story") == "https://news.example/story"
    assert (
        choose_canonical_url(page, "https://aggregator.example/s") == "https://www.news.example/a/b"
    )
    assert choose_canonical_url(page, "javascript:alert(1)") == "https://www.news.example/a/b"


def test_the_content_hash_folds_case_spacing_and_punctuation() -> None:
    a = content_words("The  Council voted — on “Tuesday”.")
    b = content_words('the council voted - on "tuesday"')
    assert content_hash(a) == content_hash(b) is not None
    assert content_hash([]) is None


@pytest.mark.parametrize("text", TEXTS[:20])
def test_a_copy_with_a_few_words_edited_is_a_near_duplicate(text: str) -> None:
    assert is_near_duplicate(fp(text), fp(edited(text, 0.02)))


@pytest.mark.parametrize("text", TEXTS[:20])
def test_a_copy_wrapped_in_boilerplate_is_a_near_duplicate(text: str) -> None:
    wrapped = (
        "Breaking news from our partners. Sign up for our newsletter today. Follow us.\n"
        + text
        + "\nThis article first appeared on a partner site and is republished with permission."
        " Copyright the publisher, all rights reserved. Share this story with your friends."
    )
    assert is_near_duplicate(fp(text), fp(wrapped))


@pytest.mark.parametrize("text", TEXTS[:20])
def test_a_teaser_matches_its_full_text(text: str) -> None:
    words = text.split(" ")
    teaser = " ".join(words[: max(MIN_NEAR_WORDS + 10, len(words) // 3)])
    assert is_near_duplicate(fp(teaser), fp(text))
    assert set(band_keys(fp(teaser))) & set(band_keys(fp(text)))


def test_distinct_articles_are_never_merged() -> None:
    prints = [fp(t) for t in TEXTS]
    merged = [
        (i, j)
        for i, j in itertools.combinations(range(len(prints)), 2)
        if is_near_duplicate(prints[i], prints[j])
    ]
    assert merged == []


def test_unrelated_articles_on_the_same_topic_are_not_merged() -> None:
    a = (
        "The central bank raised interest rates by a quarter point on Wednesday, citing "
        "persistent inflation in services and a tight labour market. "
    ) * 3 + (
        "Analysts had expected the move after last month's strong jobs report, and markets "
        "barely reacted. The bank said further increases were possible if wages keep rising."
    )
    b = (
        "Interest rates will stay high for longer, the central bank's governor told lawmakers "
        "on Thursday, warning that inflation in services remains stubborn. "
    ) * 3 + (
        "Lawmakers pressed him on the housing market, where mortgage costs have doubled. He "
        "said the bank watches rents closely and would act if inflation expectations rise."
    )
    assert not is_near_duplicate(fp(a), fp(b))


def test_short_texts_are_matched_only_exactly() -> None:
    short = "A short notice of twenty words or so, about the library opening hours this week."
    assert not is_near_duplicate(fp(short), fp(short))
    assert band_keys(fp(short)) == []


def test_fingerprints_survive_the_store_round_trip() -> None:
    from ingest.dedup.fingerprint import Fingerprint

    original = fp(TEXTS[0])
    again = Fingerprint.from_bytes(original.to_bytes())
    assert again.words == original.words and (again.signature == original.signature).all()


def test_fingerprints_and_band_keys_never_change() -> None:
    """Stored fingerprints and band keys are compared with new ones: a change to how they
    are computed (even a faster way to the same numbers) must leave them as they were."""
    text = " ".join(f"word{i % 97} token{i % 13} item{i}" for i in range(200))
    result = fp(text)
    assert hashlib.sha256(result.to_bytes()).hexdigest()[:16] == "e62e2adfa7b55de8"
    assert band_keys(result)[:3] == [7365904677584030015, -4057376656164457060, 6474952609225702277]


def test_the_modulo_without_division_is_the_modulo() -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 2**64 - 1, size=10_000, dtype=np.uint64, endpoint=True)
    edges = [0, 1, 2**61 - 2, 2**61 - 1, 2**61, 2**62 - 1, 2**63, 2**64 - 1]
    values = np.concatenate([values, np.array(edges, dtype=np.uint64)])
    assert (_mod_prime(values.copy()) == values % _PRIME).all()


# Where an article goes (`decide`), as a table: what the store holds -> the decision.

_ORIGINAL = TEXTS[30]
_CANDIDATES = {
    "none": [],
    "a near copy": [Candidate(7, None, fp(edited(_ORIGINAL, 0.02)).to_bytes())],
    "a copy of 3": [Candidate(7, 3, fp(edited(_ORIGINAL, 0.02)).to_bytes())],
    "another story": [Candidate(8, None, fp(TEXTS[31]).to_bytes())],
    "another, then a copy": [
        Candidate(8, None, fp(TEXTS[31]).to_bytes()),
        Candidate(7, None, fp(edited(_ORIGINAL, 0.02)).to_bytes()),
    ],
    "no fingerprint": [Candidate(9, None, None)],
}


@pytest.mark.parametrize(
    ("by_url", "by_hash", "candidates", "expected"),
    [
        # Same URL (any spelling): update in place, keep its canonical, never a copy.
        (
            (5, "https://a.example/s"),
            None,
            "none",
            Decision(Action.STORE, 5, "https://a.example/s"),
        ),
        (
            (5, "https://a.example/s"),
            6,
            "a near copy",
            Decision(Action.STORE, 5, "https://a.example/s"),
        ),
        # Same text under another URL: the URLs join that article.
        (None, 6, "none", Decision(Action.ADD_URLS, 6)),
        (None, 6, "a near copy", Decision(Action.ADD_URLS, 6)),
        # Near copy: new, pointing at its cluster's earliest article.
        (None, None, "a near copy", Decision(Action.STORE, duplicate_of=7)),
        (None, None, "a copy of 3", Decision(Action.STORE, duplicate_of=3)),
        (None, None, "another, then a copy", Decision(Action.STORE, duplicate_of=7)),
        # Nothing matching: new.
        (None, None, "none", Decision(Action.STORE)),
        (None, None, "another story", Decision(Action.STORE)),
        (None, None, "no fingerprint", Decision(Action.STORE)),
    ],
)
def test_decide(
    by_url: tuple[int, str] | None, by_hash: int | None, candidates: str, expected: Decision
) -> None:
    prepared = prepare("https://b.example/x", article(_ORIGINAL), T0)
    assert decide(prepared, by_url, by_hash, _CANDIDATES[candidates]) == expected


@pytest.mark.parametrize(
    ("decision", "created", "changed", "expected"),
    [
        (Decision(Action.ADD_URLS, 6), False, False, Outcome.SAME_TEXT),
        (Decision(Action.STORE), True, False, Outcome.NEW),
        (Decision(Action.STORE, duplicate_of=7), True, False, Outcome.NEAR_DUPLICATE),
        (Decision(Action.STORE, 5, "https://a.example/s"), False, True, Outcome.UPDATED),
        (Decision(Action.STORE, 5, "https://a.example/s"), False, False, Outcome.UNCHANGED),
    ],
)
def test_the_outcome_of_a_decision(
    decision: Decision, created: bool, changed: bool, expected: Outcome
) -> None:
    assert outcome(decision, created, changed) == expected


@pytest.mark.parametrize(
    ("words", "wall", "expected"),
    [
        (400, None, MergeScope.ANY_HOST),
        (MIN_MERGE_WORDS, None, MergeScope.ANY_HOST),
        (MIN_MERGE_WORDS - 1, None, MergeScope.SAME_HOST),
        (3, None, MergeScope.SAME_HOST),
        (0, None, MergeScope.NEVER),
        (400, "consent", MergeScope.NEVER),
        (20, "paywall", MergeScope.NEVER),
    ],
)
def test_which_texts_may_merge(words: int, wall: str | None, expected: MergeScope) -> None:
    assert merge_scope(words, wall) == expected


@pytest.mark.parametrize(
    ("scope", "urls", "expected"),
    [
        (MergeScope.ANY_HOST, ["https://b.example/x"], False),
        (MergeScope.SAME_HOST, ["https://a.example/y", "https://a.example/y?utm_source=z"], False),
        (MergeScope.SAME_HOST, ["https://b.example/x"], True),
        (MergeScope.NEVER, ["https://a.example/y"], True),
    ],
)
def test_which_old_merges_are_split(scope: MergeScope, urls: list[str], expected: bool) -> None:
    assert wrongly_merged(scope, "a.example", urls) is expected


def test_a_wall_never_merges_even_with_its_own_text_or_a_near_copy() -> None:
    wall = replace(article(_ORIGINAL), wall="paywall")
    prepared = prepare("https://b.example/x", wall, T0)
    assert (prepared.merge, prepared.record.content_hash, prepared.band_keys) == (
        MergeScope.NEVER,
        None,
        [],
    )
    assert decide(prepared, None, 6, _CANDIDATES["a near copy"]) == Decision(Action.STORE)


def test_a_short_text_merges_only_on_its_own_host() -> None:
    short = article("Gates open at nine; the fair runs until six on Sunday.")
    here = prepare("https://a.example/1", short, T0).record.content_hash
    again = prepare("https://a.example/2", short, T0).record.content_hash
    elsewhere = prepare("https://b.example/1", short, T0).record.content_hash
    assert here == again and here != elsewhere and None not in (here, elsewhere)


# The store after intake.


def take(engine: Engine, url: str, text: str, at: datetime = T0, **kw: object):  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        return take_in(IntakeTransaction(conn), url, article(text, **kw), at, site_min_articles=3)  # type: ignore[arg-type]


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_tracking_variants_and_declared_canonical_are_one_article(engine: Engine) -> None:
    first = take(engine, "https://news.example/s?utm_source=a", TEXTS[0])
    again = take(engine, "https://news.example/s?fbclid=b", TEXTS[0], T0 + timedelta(1))
    assert (first.outcome, again.outcome, again.article_id) == (
        Outcome.NEW,
        Outcome.UNCHANGED,
        first.article_id,
    )
    via_canonical = take(
        engine, "https://news.example/amp/s", TEXTS[0], canonical="https://news.example/s"
    )
    assert via_canonical.article_id == first.article_id
    assert count(engine, ArticleRow) == 1


def test_an_exact_copy_under_another_url_is_one_article_with_both_urls(engine: Engine) -> None:
    first = take(engine, "https://a.example/story", TEXTS[1])
    copy = take(engine, "https://b.example/reprint", "  " + TEXTS[1].upper() + " ")
    assert (copy.outcome, copy.article_id) == (Outcome.SAME_TEXT, first.article_id)
    assert count(engine, ArticleRow) == 1
    with engine.connect() as conn:
        urls = set(conn.execute(select(ArticleUrl.url)).scalars())
    assert {"https://a.example/story", "https://b.example/reprint"} <= urls


def test_the_bands_of_an_article_deleted_by_hand_find_nothing(engine: Engine) -> None:
    """On PostgreSQL the band index has no foreign key (`NearDupBand`): an article deleted
    with SQL leaves its bands (SQLite's cascade takes them), and a near copy of it that
    comes later is an article of its own, not a copy of one that is gone."""
    gone = take(engine, "https://a.example/1", TEXTS[2])
    with engine.begin() as conn:
        conn.execute(ArticleRow.__table__.delete().where(ArticleRow.id == gone.article_id))
    assert (count(engine, NearDupBand) > 0) == (engine.dialect.name == "postgresql")
    later = take(engine, "https://b.example/2", edited(TEXTS[2], 0.02, 1), T0 + timedelta(1))
    assert (later.outcome, later.duplicate_of) == (Outcome.NEW, None)


def test_near_copies_point_at_the_earliest_of_their_cluster(engine: Engine) -> None:
    first = take(engine, "https://a.example/1", TEXTS[2])
    second = take(engine, "https://b.example/2", edited(TEXTS[2], 0.02, 1), T0 + timedelta(1))
    third = take(engine, "https://c.example/3", edited(TEXTS[2], 0.02, 2), T0 + timedelta(2))
    assert (second.outcome, second.duplicate_of) == (Outcome.NEAR_DUPLICATE, first.article_id)
    assert (third.outcome, third.duplicate_of) == (Outcome.NEAR_DUPLICATE, first.article_id)
    other = take(engine, "https://d.example/4", TEXTS[3])
    assert (other.outcome, other.duplicate_of) == (Outcome.NEW, None)
    with engine.connect() as conn:
        rows = dict(conn.execute(select(ArticleRow.id, ArticleRow.duplicate_of)).all())
    assert rows == {
        first.article_id: None,
        second.article_id: first.article_id,
        third.article_id: first.article_id,
        other.article_id: None,
    }


def test_a_teaser_then_its_full_text(engine: Engine) -> None:
    words = TEXTS[4].split(" ")
    teaser = take(engine, "https://a.example/teaser", " ".join(words[: len(words) // 3]))
    full = take(engine, "https://b.example/full", TEXTS[4], T0 + timedelta(1))
    assert full.duplicate_of == teaser.article_id


def test_an_article_updated_in_place_is_not_a_duplicate_of_itself(engine: Engine) -> None:
    first = take(engine, "https://a.example/live", TEXTS[5])
    later = T0 + timedelta(hours=3)
    update = take(engine, "https://a.example/live?utm_campaign=x", edited(TEXTS[5], 0.05), later)
    assert (update.outcome, update.article_id, update.duplicate_of) == (
        Outcome.UPDATED,
        first.article_id,
        None,
    )
    with engine.connect() as conn:
        row = conn.execute(select(ArticleRow.__table__)).one()
    assert row.duplicate_of is None and row.content_changed_at == later
    assert row.first_seen_at == T0 and "changed" in row.text


def test_two_workers_storing_one_text_at_once_leave_one_article(engine: Engine) -> None:
    def job(i: int) -> None:
        take(engine, f"https://site{i}.example/same", TEXTS[6])

    assert run_together(3, job) == []
    assert count(engine, ArticleRow) == 1
    assert count(engine, ArticleUrl) >= 3


def host_articles(n: int, order: list[int]) -> list[str]:
    """Texts of `n` articles of one host that all end with the same subscribe line."""
    return [
        TEXTS[10 + i].split("\n")[0] + "\n\nGet our morning briefing in your inbox every day"
        for i in order
    ]


def stored_texts(engine: Engine) -> dict[str, tuple[str, set[tuple[str, str]]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(ArticleRow.id, ArticleRow.canonical_url, ArticleRow.text))
        result = {}
        for row in rows:
            removed = set(
                conn.execute(
                    select(RemovedBlock.reason, RemovedBlock.text).where(
                        RemovedBlock.article_id == row.id
                    )
                ).all()
            )
            result[row.canonical_url] = (row.text, removed)
    return result


@pytest.mark.parametrize("order", [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]])
def test_per_host_boilerplate_is_learned_and_stripped_in_any_order(
    engine: Engine, order: list[int]
) -> None:
    bodies = host_articles(4, list(range(4)))
    for i in order:
        take(engine, f"https://host.example/{i}", bodies[i], T0 + timedelta(minutes=order.index(i)))
    take(
        engine,
        "https://other.example/x",
        bodies[0].split("\n")[0] + " Other site.\n\n"
        "Get our morning briefing in your inbox every day",
    )
    stored = stored_texts(engine)
    for i in range(4):
        text, removed = stored[f"https://host.example/{i}"]
        assert "morning briefing" not in text
        assert removed == {(SITE_BOILERPLATE, "Get our morning briefing in your inbox every day")}
        assert text == bodies[i].split("\n")[0]
    assert "morning briefing" in stored["https://other.example/x"][0]  # another host


def test_a_host_s_older_articles_are_read_again_only_when_a_block_becomes_boilerplate(
    engine: Engine,
) -> None:
    """Intake strips the host's other articles of a block once, when it becomes the
    host's boilerplate; after that each article loses it as it comes in, and the host's
    older articles are not read again (at every batch, that cost grew with the host)."""

    class Reads(IntakeTransaction):
        read: list[int] = []

        def article_content(self, article_id: int) -> tuple[str, str]:
            self.read.append(article_id)
            return super().article_content(article_id)

    bodies = host_articles(6, list(range(6)))
    ids = []
    for i, body in enumerate(bodies):
        Reads.read = []
        with engine.begin() as conn:
            (taken,) = take_in_all(
                Reads(conn),
                [prepare(f"https://host.example/{i}", article(body), T0 + timedelta(i))],
                site_min_articles=3,
            )
        assert isinstance(taken, Intake)
        ids.append(taken.article_id)
        # Nothing is boilerplate before the third, which makes the line so: the two before
        # it are read back then, and never again; an article coming in is never read back.
        assert sorted(Reads.read) == (sorted(ids[:2]) if i == 2 else [])
    # A near copy on the same host (its blocks are never counted: they are its original's)
    # loses the line too.
    line = "\n\nGet our morning briefing in your inbox every day"
    take(engine, "https://host.example/long", TEXTS[30] + line, T0 + timedelta(8))
    copy = take(engine, "https://host.example/copy", edited(TEXTS[30], 0.02) + line)
    assert copy.outcome == Outcome.NEAR_DUPLICATE
    stored = stored_texts(engine)
    for i, body in enumerate(bodies):
        assert stored[f"https://host.example/{i}"][0] == body.split("\n")[0]
    assert "morning briefing" not in stored["https://host.example/copy"][0]


def review(n: int) -> str:
    """A review of a host whose template repeats its headings and a code line between each
    review's own text, and opens and closes with the site's lines."""
    words = TEXTS[20 + n].split()
    own = [" ".join(words[k : k + 15]) for k in (0, 15, 30)]
    return "\n\n".join(
        [
            "By the Reviews Desk",
            own[0] + ".",
            "Pros",
            f"- {own[1]}",
            "Cons",
            f"- {own[2]}",
            "import reviews as r",
            f"Review {n} says more about it than the template does, in words of its own.",
            "Verdict",
            f"Number {n} is worth it, all told, for anyone who reads this far.",
            "Prices were correct at the time of publishing and may change.",
            f"Another line of review {n} that is its own and no other review's.",
            "Follow the Reviews Desk",
        ]
    )


def test_per_host_boilerplate_leaves_the_structure_the_host_s_articles_share(
    engine: Engine,
) -> None:
    for n in range(4):
        take(engine, f"https://reviews.example/{n}", review(n))
    stored = stored_texts(engine)
    for n in range(4):
        text, removed = stored[f"https://reviews.example/{n}"]
        lines = text.split("\n\n")
        for structure in ("Pros", "Cons", "Verdict", "import reviews as r"):
            assert structure in lines, (n, structure)
        assert {line for reason, line in removed if reason == SITE_BOILERPLATE} == {
            "By the Reviews Desk",  # before the article's own first line
            "Prices were correct at the time of publishing and may change.",  # a sentence
            "Follow the Reviews Desk",  # after its last
        }


def test_site_lines_are_recurring_lines_outside_the_flow() -> None:
    lines = ["Byline", "Own one.", "Pros", "- own two", "Same note for every article here.", "Own."]
    keys = {k for k in map(block_key, ["Byline", "Pros", lines[4]]) if k}
    assert site_lines(lines, keys) == {0, 4}  # "Pros" is between the article's own lines
    assert site_lines(lines, set()) == set()
    assert site_lines(["Byline", "Pros"], keys) == {0, 1}  # nothing of its own: all go


def test_an_article_that_fails_to_store_leaves_no_trace_and_the_others_go_in(
    engine: Engine,
) -> None:
    good = [prepare(f"https://a.example/{n}", article(TEXTS[n]), T0) for n in (6, 8)]
    broken = prepare("https://a.example/7", article(TEXTS[7]), T0)
    # A removed block without a reason breaks a NOT NULL constraint after the article row
    # went in: that row must be undone with the rest of the page's writes.
    bad_record = replace(broken.record, removed=(Removed(None, "x"),))  # type: ignore[arg-type]
    with engine.begin() as conn:
        outcomes = take_in_all(
            IntakeTransaction(conn), [good[0], replace(broken, record=bad_record), good[1]]
        )
    assert isinstance(outcomes[1], StoreConflict)
    assert [o.outcome for o in (outcomes[0], outcomes[2])] == [Outcome.NEW, Outcome.NEW]  # type: ignore[union-attr]
    with engine.connect() as conn:
        urls = set(conn.execute(select(ArticleUrl.url)).scalars())
        stored = set(conn.execute(select(ArticleRow.canonical_url)).scalars())
    assert stored == {"https://a.example/6", "https://a.example/8"}
    assert not any(url.endswith("/7") for url in urls)


def test_a_batch_decides_each_article_as_the_store_stands_at_its_turn(engine: Engine) -> None:
    """A batch is looked up in the store once, before any of it is written; an article
    that meets what an earlier one of the batch wrote (its URL, its text, a band of its
    text, an article it changed) must still be decided on the store as it is by then."""
    z_seen = ("https://z.example/old-address",)
    before = [
        prepare("https://a.example/x", article(TEXTS[1]), T0),
        prepare("https://a.example/y", article(TEXTS[2]), T0),
        prepare("https://z.example/story", article(TEXTS[7]), T0, seen_urls=z_seen),
    ]
    with engine.begin() as conn:
        take_in_all(IntakeTransaction(conn), before)
    z_first = replace(article(TEXTS[5]), removed=(Removed("spam", "first"),))
    z_later = replace(article(TEXTS[6]), removed=(Removed("spam", "later"),))
    batch = [
        prepare("https://o.example/a", article(TEXTS[3]), T0),  # new
        prepare("https://c.example/a", article(edited(TEXTS[3], 0.02)), T0),  # copy of it
        prepare("https://d.example/a", article(TEXTS[3]), T0),  # its text again
        prepare("https://o.example/a?utm_source=x", article(edited(TEXTS[3], 0.05)), T0),
        prepare("https://a.example/x", article(TEXTS[4]), T0),  # x changed
        prepare("https://e.example/x", article(edited(TEXTS[1], 0.02)), T0),  # x's old text
        prepare("https://f.example/y", article(edited(TEXTS[2], 0.02)), T0),  # copy of y
        prepare("https://g.example/x", article(TEXTS[4]), T0),  # x's new text
        prepare("https://h.example/x", article(TEXTS[1]), T0),  # x's old text
        prepare("https://z.example/story", z_first, T0),  # z changed twice, under
        prepare(z_seen[0], z_later, T0),  # its two URLs
    ]
    ticks = (T0 + timedelta(seconds=n) for n in itertools.count(1))
    with engine.begin() as conn:
        # Not isolated, as the writer first tries: a wrong decision that breaks a unique
        # constraint raises here instead of being retried.
        outcomes = take_in_all(
            IntakeTransaction(conn), batch, clock=lambda: next(ticks), isolated=False
        )
    with engine.connect() as conn:
        url_of = dict(conn.execute(select(ArticleRow.id, ArticleRow.canonical_url)).all())
    got = [
        (o.outcome, url_of[o.article_id], o.duplicate_of and url_of[o.duplicate_of])
        for o in outcomes
        if isinstance(o, Intake)
    ]
    a, x, y = "https://o.example/a", "https://a.example/x", "https://a.example/y"
    assert got == [
        (Outcome.NEW, a, None),
        (Outcome.NEAR_DUPLICATE, "https://c.example/a", a),
        (Outcome.SAME_TEXT, a, None),
        (Outcome.UPDATED, a, None),
        (Outcome.UPDATED, x, None),
        (Outcome.NEW, "https://e.example/x", None),  # x's bands are its new text's now
        (Outcome.NEAR_DUPLICATE, "https://f.example/y", y),
        (Outcome.SAME_TEXT, x, None),
        (Outcome.NEAR_DUPLICATE, "https://h.example/x", "https://e.example/x"),
        (Outcome.UPDATED, "https://z.example/story", None),
        (Outcome.UPDATED, "https://z.example/story", None),
    ]
    # z's rows are its last version's: what the first change wrote was replaced, not added.
    z_id = next(i for i, url in url_of.items() if url == "https://z.example/story")
    with engine.connect() as conn:
        bands = set(
            conn.execute(
                select(NearDupBand.band_key).where(NearDupBand.article_id == z_id)
            ).scalars()
        )
        removed = list(
            conn.execute(select(RemovedBlock.text).where(RemovedBlock.article_id == z_id)).scalars()
        )
    assert bands == set(batch[-1].band_keys)
    assert removed == ["later"]


def test_an_original_and_its_copy_stored_at_the_same_moment_are_linked(engine: Engine) -> None:
    """Two workers' transactions: the copy's waits for the original's to end, so that it
    sees the original (PostgreSQL would otherwise let both run and each miss the other)."""
    import threading

    original = prepare("https://a.example/o", article(TEXTS[9]), T0)
    copy = prepare("https://b.example/c", article(edited(TEXTS[9], 0.02)), T0 + timedelta(1))
    first_in = threading.Event()
    outcomes: dict[str, object] = {}

    def store_copy() -> None:
        first_in.wait(10)
        with engine.begin() as conn:
            outcomes["copy"] = take_in_all(IntakeTransaction(conn), [copy])[0]

    other = threading.Thread(target=store_copy)
    other.start()
    with engine.begin() as conn:
        outcomes["original"] = take_in_all(IntakeTransaction(conn), [original])[0]
        first_in.set()
        other.join(1)  # the copy's transaction is held up until this one commits
        assert other.is_alive()
    other.join(30)
    kept, copied = outcomes["original"], outcomes["copy"]
    assert isinstance(kept, Intake) and isinstance(copied, Intake)
    assert (copied.outcome, copied.duplicate_of) == (Outcome.NEAR_DUPLICATE, kept.article_id)


def test_near_copy_pairs_stored_by_four_writers_at_once_are_each_linked_once(
    engine: Engine,
) -> None:
    """200 originals and their near copies, each pair's two halves given to two different
    writers of four, which take them in at the same moment in batches: with locks on the
    keys that can collide (not one lock for all intake), every copy still finds its
    original, whichever went in first, and no article is linked to another pair's."""
    import threading

    rng = random.Random(11)
    vocabulary = [f"term{i}" for i in range(20_000)]
    pairs = 200
    originals = [" ".join(rng.choices(vocabulary, k=300)) + "." for _ in range(pairs)]
    work: list[list[Prepared]] = [[] for _ in range(4)]
    for n, text in enumerate(originals):
        work[n % 4].append(prepare(f"https://o{n}.example/story", article(text), T0))
        copy = prepare(f"https://c{n}.example/story", article(edited(text, 0.02, seed=n)), T0)
        work[(n + 1) % 4].append(copy)
    start = threading.Barrier(4)
    failures: list[object] = []

    def writer(items: list[Prepared]) -> None:
        start.wait(30)
        for batch in range(0, len(items), 10):
            with engine.begin() as conn:
                for outcome in take_in_all(IntakeTransaction(conn), items[batch : batch + 10]):
                    if not isinstance(outcome, Intake):
                        failures.append(outcome)

    threads = [threading.Thread(target=writer, args=(items,)) for items in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures
    with engine.connect() as conn:
        rows = conn.execute(
            select(ArticleRow.canonical_url, ArticleRow.id, ArticleRow.duplicate_of)
        )
        by_url = {url: (article_id, duplicate_of) for url, article_id, duplicate_of in rows}
    assert len(by_url) == 2 * pairs
    for n in range(pairs):
        (o_id, o_of), (c_id, c_of) = (
            by_url[f"https://o{n}.example/story"],
            by_url[f"https://c{n}.example/story"],
        )
        assert (o_of, c_of) in ((None, o_id), (c_id, None)), n  # linked, one way, in-pair


def test_writers_with_articles_of_one_host_wait_for_each_other_only_to_count_its_blocks(
    pg_database_url: str,
) -> None:
    """Two workers' transactions, each with an article of one host, while a third holds
    the host's lock: both put their articles in and only then wait (they share no other
    key), and each counts the other's blocks, so the line the host's four articles share
    is stripped from all four, though each transaction saw three at most on its own."""
    import threading

    from storage.engine import create_store_engine

    engine = create_store_engine(pg_database_url)
    bodies = host_articles(4, list(range(4)))
    prepared = [prepare(f"https://host.example/{i}", article(bodies[i]), T0) for i in range(4)]
    with engine.begin() as conn:
        take_in_all(IntakeTransaction(conn), prepared[:2], site_min_articles=4)
    errors: list[object] = []

    def store(item: Prepared) -> None:
        with engine.begin() as conn:
            errors.extend(
                outcome
                for outcome in take_in_all(IntakeTransaction(conn), [item], site_min_articles=4)
                if not isinstance(outcome, Intake)
            )

    waiting_with_articles_in = sql(
        "SELECT count(DISTINCT w.pid) FROM pg_locks w JOIN pg_locks a ON a.pid = w.pid "
        "WHERE w.locktype = 'advisory' AND NOT w.granted "
        "AND a.relation = 'articles'::regclass AND a.mode = 'RowExclusiveLock' AND a.granted"
    )
    with engine.connect() as holder:
        holding = holder.begin()
        holder.execute(sql("SELECT pg_advisory_xact_lock(:k)"), {"k": host_key("host.example")})
        threads = [threading.Thread(target=store, args=(item,)) for item in prepared[2:]]
        for thread in threads:
            thread.start()
        for _ in range(600):
            with engine.connect() as conn:
                waiting = conn.execute(waiting_with_articles_in).scalar_one()
            if waiting == 2:
                break
            time.sleep(0.05)
        holding.rollback()
    for thread in threads:
        thread.join(60)
    assert waiting == 2
    assert not errors
    stored = stored_texts(engine)
    engine.dispose()
    for i in range(4):
        text_, removed = stored[f"https://host.example/{i}"]
        assert text_ == bodies[i].split("\n")[0]
        assert removed == {(SITE_BOILERPLATE, "Get our morning briefing in your inbox every day")}


def test_collision_keys_are_shared_exactly_where_two_intakes_can_collide() -> None:
    original = prepare("https://a.example/story", article(TEXTS[3]), T0)
    copy = prepare("https://b.example/copy", article(edited(TEXTS[3], 0.02)), T0)
    same_page = prepare("https://a.example/story?utm_source=x", article(TEXTS[4]), T0)
    other = prepare("https://c.example/other", article(TEXTS[5]), T0)
    keys = [set(p.collision_keys) for p in (original, copy, same_page, other)]
    assert keys[0] & keys[1]  # a near copy shares a band key
    assert keys[0] & keys[2]  # the same page (and host)
    assert not keys[0] & keys[3] and not keys[1] & keys[3]


def test_a_batch_is_cut_into_transactions_that_hold_a_bounded_number_of_locks() -> None:
    batch = [prepare(f"https://h{n}.example/", article(TEXTS[n]), T0) for n in range(5)]
    held = [len(p.collision_keys) for p in batch]
    limit = held[0] + held[1]
    cut = parts(batch, limit)
    assert [s.start for s in cut][0] == 0 and cut[-1].stop == 5
    assert all(sum(held[s]) <= limit for s in cut) and len(cut) >= 3
    assert parts(batch, None) == [slice(0, 5)]
    assert parts(batch[:1], 1) == [slice(0, 1)]  # one article at least, whatever it holds
