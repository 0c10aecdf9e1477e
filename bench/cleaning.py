"""Cleaning benchmark: the seed's faults put into real articles in nine forms, cleaned by
feed-ingest and by trafilatura in the same run.

    .venv/bin/pip install -e '.[bench]'      # trafilatura, bench-only
    .venv/bin/python bench/cleaning.py       # --articles 120 --seed 7

Articles are drawn (seeded) from ../shared/bench/wcxb-dev/: their reviewed main text for the
text forms, their real page for the HTML forms. The spam is other pages' real titles, which
often share words with the article. Per form and extractor:

- **spam left**: of the injected spam lines (headlines, labels, "READ MORE" lines), the share
  still in the output;
- **dups left**: of the paragraphs injected a second time, the share still there twice;
- **lost**: the share of the article's words missing from the output (text forms: of the
  reviewed text; HTML forms: of what the same extractor gets from the unmodified page, so
  that only what the fault costs counts). The control row is the reviewed text cleaned as
  it is: what cleaning takes from a clean article.

Text forms go to feed-ingest as plain text (`clean_text`, a scraped body) and to
trafilatura as the same lines in `<p>` elements (it reads HTML only).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.text import normalise  # noqa: E402
from tests.helpers.faults import (  # noqa: E402
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


def as_html(text: str) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
    return f"<html><body><article>{paragraphs}</article></body></html>"


def peer(html: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url, include_comments=False) or ""


@dataclass
class Row:
    spam: list[int] = field(default_factory=lambda: [0, 0])
    dups: list[int] = field(default_factory=lambda: [0, 0])
    lost: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, case: Case, output: str, reference: str, seconds: float) -> None:
        for total, (left, of) in (
            (self.spam, spam_left(case, output)),
            (self.dups, dups_left(case, output)),
        ):
            total[0] += left
            total[1] += of
        self.lost.append(lost(reference, output))
        self.seconds += seconds

    def cells(self) -> str:
        def share(pair: list[int]) -> str:
            return f"{pair[0] / pair[1]:>6.1%}" if pair[1] else "     -"

        mean_lost = sum(self.lost) / len(self.lost) if self.lost else 0.0
        return f"{share(self.spam)} {share(self.dups)} {mean_lost:>6.1%}"


def timed(call: Callable[..., str], *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    out = call(*args)
    return out, time.perf_counter() - started


def ours_of_text(text: str, url: str) -> str:
    return ours_text(text)


def peer_of_text(text: str, url: str) -> str:
    return peer(as_html(text), url)


def _show(wanted: str, form: str, case: Case, output: str, reference: str) -> None:
    """What was left: spam, doubled paragraphs, and (control) words lost."""
    if not wanted or wanted not in form:
        return
    out = normalise(output)
    for line in case.spam:
        if normalise(line) in out:
            print(f"  spam left: {line!r}")
    for p in case.doubled:
        if out.count(normalise(p)) >= 2:
            print(f"  twice: {p[:100]!r}")
    if not case.spam and not case.doubled and lost(reference, output) > 0:
        kept = set(normalise(output).split())
        print(
            "  lost:",
            [p[:80] for p in reference.split("\n\n") if not set(normalise(p).split()) <= kept][:3],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--show", default="", help="print what feed-ingest left, for forms containing this"
    )
    args = parser.parse_args()
    chosen = articles(args.articles, args.seed)
    rng = random.Random(args.seed)
    rows: dict[str, dict[str, Row]] = {}

    control = rows.setdefault("control: the reviewed text, cleaned as it is", {})
    for a in chosen:
        body = "\n\n".join(a.paragraphs)
        for name, run in (("feed-ingest", ours_of_text), ("trafilatura", peer_of_text)):
            out, seconds = timed(run, body, a.page.url)
            control.setdefault(name, Row()).add(Case(), out, body, seconds)
            if name == "feed-ingest":
                _show(args.show, "control", Case(), out, body)

    for form, make in TEXT_FORMS.items():
        row = rows.setdefault(form, {})
        for a in chosen:
            case = make(a, rng)
            reference = "\n\n".join(a.paragraphs)
            out, seconds = timed(ours_text, case.text)
            row.setdefault("feed-ingest", Row()).add(case, out, reference, seconds)
            _show(args.show, form, case, out, reference)
            out, seconds = timed(peer_of_text, case.text, a.page.url)
            row.setdefault("trafilatura", Row()).add(case, out, reference, seconds)

    controls = {
        a.page.id: (ours_html(a.container, a.page.url), peer(a.container, a.page.url))
        for a in chosen
    }
    for form, make in HTML_FORMS.items():
        row = rows.setdefault(form, {})
        for a in chosen:
            case = make(a, rng)
            mine, theirs = controls[a.page.id]
            out, seconds = timed(ours_html, case.html, a.page.url)
            row.setdefault("feed-ingest", Row()).add(case, out, mine, seconds)
            _show(args.show, form, case, out, mine)
            out, seconds = timed(peer, case.html, a.page.url)
            row.setdefault("trafilatura", Row()).add(case, out, theirs, seconds)

    print(f"{len(chosen)} articles, seed {args.seed}; per form: spam left, dups left, lost")
    print(f"{'form':<58} {'feed-ingest':^20}   {'trafilatura':^20}")
    for form, by in rows.items():
        print(f"{form:<58} {by['feed-ingest'].cells()}   {by['trafilatura'].cells()}")
    ours = sum(r["feed-ingest"].seconds for r in rows.values())
    theirs = sum(r["trafilatura"].seconds for r in rows.values())
    print(f"time: feed-ingest {ours:.2f}s, trafilatura {theirs:.2f}s ({theirs / ours:.1f}x)")


if __name__ == "__main__":
    main()
