"""Deduplication benchmark: recall per kind of copy, false merges among distinct articles,
and the time of one insert + lookup as the store grows.

    .venv/bin/python bench/dedup.py                      # 10k, 100k, 1M stored fingerprints
    .venv/bin/python bench/dedup.py --sizes 10000,100000 # quicker

Texts are the ground truth of ../shared/bench/aeb/ plus, for distinct articles, texts made by
mixing its sentences. Kinds of copy: 1% and 2% of words edited, wrapped in boilerplate,
under tracking-parameter URLs, teaser (first third) vs full text. Walls and shells: distinct
stories whose pages show only a paywall stub, a consent dialog, an "enable JavaScript"
notice or an empty template, through the real intake: false merges must be 0, while real
exact copies on a second host still merge. Recall counts a copy as
found when the LSH index returns the original as a candidate and verification accepts it.
The scaling part fills a real SQLite store (articles + band index) with synthetic
fingerprints and times the real lookup + insert queries; the peer is the same operation at
the smallest size, so the ratio shows how it scales.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from ingest.dedup.fingerprint import (  # noqa: E402
    LEAD_HASHES,
    MIN_NEAR_WORDS,
    NUM_HASHES,
    Fingerprint,
    band_keys,
    content_hash,
    content_words,
    fingerprint,
    is_near_duplicate,
)
from ingest.dedup.prepare import prepare  # noqa: E402
from ingest.extract import extract_article  # noqa: E402
from ingest.types import Intake  # noqa: E402
from ingest.urls import canonical_url  # noqa: E402
from ingest.worker.writer import take_in_all  # noqa: E402
from storage.dedup import near_candidates, replace_bands  # noqa: E402
from storage.engine import create_store_engine  # noqa: E402
from storage.intake import IntakeTransaction  # noqa: E402
from storage.models import Article, NearDupBand  # noqa: E402
from storage.schema import upgrade  # noqa: E402

TRUTH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "aeb"
BOILERPLATE = (
    "Sign up for our newsletter and get the day's top stories in your inbox. Follow us on "
    "social media. Advertisement. This article first appeared on a partner site and is "
    "republished with permission. Copyright the publisher. All rights reserved."
)


def texts() -> list[tuple[str, str]]:
    truth = json.loads((TRUTH / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        (v["url"], v["articleBody"])
        for _, v in sorted(truth.items())
        if len(content_words(v["articleBody"])) >= MIN_NEAR_WORDS
    ]


def edit(text: str, share: float, rng: random.Random) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), max(1, int(len(words) * share))):
        words[i] = rng.choice(["however", "reportedly", "notably", "also", "said", "then"])
    return " ".join(words)


def variants(url: str, text: str, rng: random.Random) -> dict[str, tuple[str, str]]:
    words = text.split(" ")
    return {
        "1% words edited": (url + "-a", edit(text, 0.01, rng)),
        "2% words edited": (url + "-b", edit(text, 0.02, rng)),
        "wrapped in boilerplate": (url + "-c", f"{BOILERPLATE}\n{text}\n{BOILERPLATE}"),
        "tracking-parameter URL": (
            url + ("&" if "?" in url else "?") + "utm_source=rss&fbclid=x&gclid=y",
            text,
        ),
        "teaser vs full text": (url + "-t", " ".join(words[: max(60, len(words) // 3)])),
    }


def found(original: Fingerprint, copy: Fingerprint) -> bool:
    return bool(set(band_keys(original)) & set(band_keys(copy))) and is_near_duplicate(
        original, copy
    )


def recall(corpus: list[tuple[str, str]]) -> None:
    rng = random.Random(5)
    hits: dict[str, list[bool]] = {}
    for url, text in corpus:
        original = fingerprint(content_words(text))
        for kind, (copy_url, copy_text) in variants(url, text, rng).items():
            if kind == "tracking-parameter URL":
                hit = canonical_url(copy_url) == canonical_url(url)
            else:
                hit = found(original, fingerprint(content_words(copy_text)))
            hits.setdefault(kind, []).append(hit)
    print(f"{'kind of copy':<26} {'copies':>7} {'recall':>7}")
    for kind, results in hits.items():
        print(f"{kind:<26} {len(results):>7} {sum(results) / len(results):>7.3f}")


def distinct_texts(corpus: list[tuple[str, str]], extra: int) -> list[str]:
    """The corpus plus texts mixed from its sentences (distinct articles, shared style)."""
    rng = random.Random(9)
    sentences = [
        s for _, t in corpus for s in t.replace("\n", " ").split(". ") if 40 < len(s) < 300
    ]
    mixed = [". ".join(rng.sample(sentences, 25)) for _ in range(extra)]
    return [t for _, t in corpus] + mixed


def false_merges(corpus: list[tuple[str, str]]) -> None:
    prints = [fingerprint(content_words(t)) for t in distinct_texts(corpus, 600)]
    index: dict[int, list[int]] = {}
    for i, fp in enumerate(prints):
        for key in band_keys(fp):
            index.setdefault(key, []).append(i)
    candidates = {pair for ids in index.values() for pair in itertools.combinations(ids, 2)}
    merged = sum(1 for i, j in candidates if is_near_duplicate(prints[i], prints[j]))
    pairs = len(prints) * (len(prints) - 1) // 2
    print(
        f"distinct articles: {len(prints)}, pairs: {pairs}, LSH candidates: "
        f"{len(candidates)}, false merges: {merged} (rate {merged / pairs:.2e})"
    )


WALL_PAGES = {
    "paywall": "<p>This article is for subscribers only. Subscribe now to continue reading, "
    "or log in if you are already a subscriber.</p>",
    "consent": "<h2>Your Privacy</h2><p>We and our partners store and/or access information on "
    "a device, such as cookies, and process personal data, such as unique identifiers and "
    "standard information sent by a device, for personalised ads and content, ad and content "
    "measurement, audience insights and product development.</p><p>With your permission we "
    "and our partners may use precise geolocation data and identification through device "
    "scanning. You may accept all, reject all or manage preferences.</p>",
    "javascript": "<p>Please enable JavaScript to continue. Your browser is not supported.</p>",
    "empty shell": "",
}


def walls_and_shells(corpus: list[tuple[str, str]]) -> None:
    """Distinct stories whose pages show only a wall or a template shell, on four hosts,
    through the real intake into a real store: each must stay its own article. Real exact
    copies on a second host, taken in alongside, must still merge."""
    seen = datetime.now(UTC)
    stories: list[tuple[str, str, str]] = []  # (kind, url, html)
    for kind, body in WALL_PAGES.items():
        for n in range(50):
            url = f"https://host{n % 4}.example/{kind.replace(' ', '-')}/{n}"
            html = (
                f"<html><head><title>Story {n}</title></head><body><nav><a href='/'>Home</a>"
                f"</nav><main>{body}</main><footer>© Host {n % 4}</footer></body></html>"
            )
            stories.append((kind, url, html))
    copies = [
        (f"https://wire.example/{i}", f"https://partner.example/{i}", t)
        for i, (_, t) in enumerate(corpus[:50])
    ]
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_store_engine(f"sqlite:///{tmp}/walls.db")
        upgrade(engine)
        extracted = [extract_article(html, url) for _, url, html in stories]
        # The previous rule: any two equal (non-empty) texts are one article.
        old_keys = [
            content_hash(content_words(a.text)) or u
            for a, (_, u, _) in zip(extracted, stories, strict=True)
        ]
        old_merges = len(stories) - len(set(old_keys))
        prepared = [prepare(s[1], a, seen) for s, a in zip(stories, extracted, strict=True)]
        for original, copy, text in copies:
            body = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
            page = f"<html><body><article>{body}</article></body></html>"
            prepared += [prepare(u, extract_article(page, u), seen) for u in (original, copy)]
        with engine.begin() as conn:
            outcomes = take_in_all(IntakeTransaction(conn), prepared)
        engine.dispose()
    taken = [o for o in outcomes if isinstance(o, Intake)]
    walls = taken[: len(stories)]
    articles = {o.article_id for o in walls}
    merged = len(walls) - len(articles) + sum(1 for o in walls if o.duplicate_of is not None)
    kinds = ", ".join(f"{kind} {sum(1 for k, _, _ in stories if k == kind)}" for kind in WALL_PAGES)
    pairs = taken[len(stories) :]
    found = sum(
        1 for a, b in zip(pairs[::2], pairs[1::2], strict=True) if a.article_id == b.article_id
    )
    print(
        f"walls and shells among distinct articles: {len(stories)} stories ({kinds}), "
        f"{len(articles)} articles, false merges: {merged} (the previous rule: {old_merges}); "
        f"real exact copies on a second host merged: {found}/{len(copies)}"
    )


def random_fingerprint(rng: np.random.Generator) -> Fingerprint:
    return Fingerprint(
        words=400,
        shingles=398,
        signature=rng.integers(0, 2**32, NUM_HASHES, dtype=np.uint32),
        lead=rng.integers(0, 2**32, LEAD_HASHES, dtype=np.uint32),
    )


def scaling(sizes: list[int], corpus: list[tuple[str, str]]) -> None:
    rng = np.random.default_rng(1)
    now = datetime.now(UTC)
    probes = [fingerprint(content_words(t)) for _, t in corpus[:100]]
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_store_engine(f"sqlite:///{tmp}/dedup.db")
        upgrade(engine)
        stored = 0
        baseline = None
        print(f"{'stored fingerprints':>20} {'insert+lookup ms':>17} {'vs smallest':>12}")
        for size in sizes:
            while stored < size:
                batch = min(20_000, size - stored)
                fps = [random_fingerprint(rng) for _ in range(batch)]
                with engine.begin() as conn:
                    rows = (
                        conn.execute(
                            insert(Article).returning(Article.id),
                            [
                                {
                                    "canonical_url": f"https://fill.example/{stored + i}",
                                    "host": "fill.example",
                                    "first_seen_at": now,
                                    "last_seen_at": now,
                                    "text": "",
                                    "html": "",
                                    "word_count": 400,
                                    "fingerprint": f.to_bytes(),
                                }
                                for i, f in enumerate(fps)
                            ],
                        )
                        .scalars()
                        .all()
                    )
                    conn.execute(
                        insert(NearDupBand),
                        [
                            {"band_key": k, "article_id": a}
                            for a, f in zip(rows, fps, strict=True)
                            for k in band_keys(f)
                        ],
                    )
                stored += batch
            started = time.perf_counter()
            for n, probe in enumerate(probes):
                with engine.begin() as conn:
                    keys = band_keys(probe)
                    for c in near_candidates(conn, keys):
                        if c.fingerprint:
                            is_near_duplicate(probe, Fingerprint.from_bytes(c.fingerprint))
                    article_id = conn.execute(
                        insert(Article).returning(Article.id),
                        {
                            "canonical_url": f"https://probe.example/{size}/{n}",
                            "host": "p",
                            "first_seen_at": now,
                            "last_seen_at": now,
                            "text": "",
                            "html": "",
                            "word_count": probe.words,
                            "fingerprint": probe.to_bytes(),
                        },
                    ).scalar_one()
                    replace_bands(conn, article_id, keys)
            per = (time.perf_counter() - started) / len(probes) * 1000
            baseline = baseline or per
            print(f"{size:>20} {per:>17.2f} {per / baseline:>11.2f}x")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    corpus = texts()
    recall(corpus)
    false_merges(corpus)
    walls_and_shells(corpus)
    scaling([int(s) for s in args.sizes.split(",")], corpus)


if __name__ == "__main__":
    main()
