"""The two extraction benchmarks in ../shared/bench/ and their metrics, for
`bench/extraction.py` and the floors the tests pin.

- `aeb/`: 181 news pages; its metric is F1 of the means of per-page precision and recall
  over 4-word shingles (see `bench/extraction.py`).
- `wcxb-dev/`: 791 varied article pages; its metric (its README) is the mean of per-page
  word-bag F1, the pages under F1 0.5, the share of `with` snippets found and of `without`
  snippets present (per page, case folded, averaged as the benchmark's own evaluation
  does), and metadata accuracy: title exact (case and spacing folded), date on the day,
  author when one name contains the other.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.extract import extract_article
from ingest.http.charset import decode_html

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    id: str
    url: str
    html: str
    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD
    with_snippets: tuple[str, ...] = ()  # what a correct extraction contains
    without_snippets: tuple[str, ...] = ()  # boilerplate it must not contain


def wcxb_pages() -> list[Page]:
    folder = BENCH / "wcxb-dev"
    pages = []
    for path in sorted((folder / "ground-truth").glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8"))
        raw = gzip.decompress((folder / "html" / f"{path.stem}.html.gz").read_bytes())
        pages.append(
            Page(
                path.stem,
                item.get("url") or "",
                decode_html(raw),
                item["main_content"],
                item.get("title") or None,
                item.get("author") or None,
                item.get("publish_date") or None,
                tuple(item.get("with") or ()),
                tuple(item.get("without") or ()),
            )
        )
    return pages


def aeb_pages() -> list[Page]:
    folder = BENCH / "aeb"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        raw = gzip.decompress((folder / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(Page(page_id, item.get("url", ""), decode_html(raw), item["articleBody"]))
    return pages


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _WORD.findall(text)
    if len(tokens) < 4:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def score(pages: list[Page], outputs: list[str]) -> tuple[Score, list[tuple[float, float]]]:
    """The benchmark's metric: mean precision over non-empty results, mean recall over all
    pages, F1 of the two means; accuracy is the share of exact token-sequence matches."""
    precisions, recalls, per_page, exact = [], [], [], 0
    for page, output in zip(pages, outputs, strict=True):
        expected, got = shingles(page.text), shingles(output)
        tp = sum((expected & got).values())
        recall = tp / sum(expected.values()) if expected else 1.0
        recalls.append(recall)
        precision = tp / sum(got.values()) if got else 0.0
        if got:
            precisions.append(precision)
        per_page.append((precision, recall))
        exact += _WORD.findall(page.text) == _WORD.findall(output)
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls)
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Score(p, r, f1, exact / len(pages)), per_page


def word_f1(expected: str, got: str) -> float:
    """The wcxb-dev metric for one page: F1 of the two bags of lower-cased words."""
    want, have = Counter(_WORD.findall(expected.lower())), Counter(_WORD.findall(got.lower()))
    if not want:
        return 1.0 if not have else 0.0
    overlap = sum((want & have).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(have.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None = None
    author: str | None = None
    published: datetime | str | None = None


def extract(page: Page) -> Extracted:
    """Our extractor on one page, as both benchmarks read it."""
    article = extract_article(page.html, page.url)
    return Extracted(article.text, article.title, article.author, article.published)


@dataclass(frozen=True)
class WcxbScore:
    mean_f1: float
    failures: int  # pages under F1 0.5
    title: float  # shares of the pages whose reference has the field
    date: float
    author: float
    with_found: float  # mean per page of the share of `with` snippets in the text
    without_found: float  # the same for `without` snippets (boilerplate left in)


def _same_title(want: str, got: str | None) -> bool:
    return " ".join(want.lower().split()) == " ".join((got or "").lower().split())


def _same_day(want: str, got: datetime | str | None) -> bool:
    if isinstance(got, datetime):
        got = got.strftime("%Y-%m-%d")
    return bool(got) and str(got)[:10] == want


def _same_author(want: str, got: str | None) -> bool:
    a, b = want.lower(), (got or "").lower()
    return bool(b) and (a in b or b in a)


def snippets_found(text: str, snippets: tuple[str, ...]) -> float:
    """The share of the snippets in the text, case folded (1 without any, as the benchmark's
    evaluation counts it)."""
    if not snippets:
        return 1.0
    folded = text.lower()
    return sum(snippet.lower() in folded for snippet in snippets) / len(snippets)


def score_wcxb(pages: list[Page], outputs: list[Extracted]) -> WcxbScore:
    f1s = [word_f1(p.text, o.text) for p, o in zip(pages, outputs, strict=True)]
    pairs = list(zip(pages, outputs, strict=True))

    def share(field: str, same: object) -> float:
        checked = [(p, o) for p, o in zip(pages, outputs, strict=True) if getattr(p, field)]
        matches = [same(getattr(p, field), o) for p, o in checked]  # type: ignore[operator]
        return sum(matches) / len(checked) if checked else 0.0

    return WcxbScore(
        mean_f1=sum(f1s) / len(f1s),
        failures=sum(1 for f in f1s if f < 0.5),
        title=share("title", lambda want, o: _same_title(want, o.title)),
        date=share("date", lambda want, o: _same_day(want, o.published)),
        author=share("author", lambda want, o: _same_author(want, o.author)),
        with_found=sum(snippets_found(o.text, p.with_snippets) for p, o in pairs) / len(pairs),
        without_found=sum(snippets_found(o.text, p.without_snippets) for p, o in pairs)
        / len(pairs),
    )
