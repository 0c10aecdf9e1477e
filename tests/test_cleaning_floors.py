"""Floors on the cleaning benchmark's forms (`bench/cleaning.py` prints them beside
trafilatura's): the seed's faults put into 120 real articles. Shares, not timings: they do
not depend on the machine. CI must have the data: there a missing ../shared/bench/ fails
the run instead of skipping."""

from __future__ import annotations

import os
import random

import pytest

from tests.helpers.benchmarks import BENCH
from tests.helpers.faults import (
    HTML_FORMS,
    TEXT_FORMS,
    Case,
    articles,
    dups_left,
    lost,
    ours_html,
    ours_text,
    spam_left,
)

pytestmark = pytest.mark.slow

# Spam left per form, measured when pinned (feed-ingest / trafilatura): the seed 0% /
# 100%, no label 0.2% / 100%, another language's label 0% / 100%, partial repeat 0% /
# 100%, card grid 0% / 0%, inline READ MORE 0% / 38%, related list 0% / 0%; duplicates
# left at most 0.1%; the control loses 0.3%. The target is 2% everywhere; the floors leave
# room for a headline or two of these 120 articles, no more.
SPAM_LEFT = {
    "(the seed)": 0.005,
    "no label": 0.01,
    "non-English label": 0.005,
    "partial repeat": 0.005,
    "card grid": 0.005,
    "inline READ MORE": 0.005,
    "related-links list": 0.005,
}
DUPS_LEFT = 0.005
CONTROL_LOST = 0.005


def _shares() -> tuple[dict[str, float], dict[str, float], float]:
    if not (BENCH / "wcxb-dev").exists():
        if os.environ.get("CI"):
            pytest.fail(f"benchmark data missing in CI: {BENCH / 'wcxb-dev'}")
        pytest.skip(f"benchmark data not found at {BENCH / 'wcxb-dev'}")
    chosen = articles(120, 7)
    rng = random.Random(7)
    control = [lost(body, ours_text(body)) for body in ("\n\n".join(a.paragraphs) for a in chosen)]
    spam: dict[str, float] = {}
    dups: dict[str, float] = {}
    for form, make in {**TEXT_FORMS, **HTML_FORMS}.items():
        left = [0, 0, 0, 0]
        for a in chosen:
            case: Case = make(a, rng)
            out = ours_text(case.text) if case.text else ours_html(case.html, a.page.url)
            for n, value in enumerate((*spam_left(case, out), *dups_left(case, out))):
                left[n] += value
        if left[1]:
            spam[form] = left[0] / left[1]
        if left[3]:
            dups[form] = left[2] / left[3]
    return spam, dups, sum(control) / len(control)


def test_cleaning_floors() -> None:
    spam, dups, control = _shares()
    for key, floor in SPAM_LEFT.items():
        form = next(f for f in spam if key in f)
        assert spam[form] <= floor, (form, spam[form])
    for form, share in dups.items():
        assert share <= DUPS_LEFT, (form, share)
    assert control <= CONTROL_LOST
