"""Feed parsing benchmark: entries parsed per second on real-shaped RSS 2.0, Atom 1.0 and
JSON Feed documents of 50 to 500 entries, ours (`ingest.feeds.parse.parse_feed`) against
feedparser alone in the same run.

    .venv/bin/python bench/feeds.py                 # 50, 200, 500 entries
    .venv/bin/python bench/feeds.py --sizes 100 --repeat 5

Entries are shaped like real ones: a title, a link with tracking parameters, a guid, a date,
an author, categories, an HTML summary and the full article in `content:encoded` / Atom
`content` / `content_html`, the texts taken from the ground truth of ../shared/bench/aeb/
(synthetic text when it is missing). Ours does what feedparser does plus what the worker
needs (the DTD cut out, a charset that decodes, links resolved and normalised, every field
made storable); feedparser reads no JSON Feed, so there the peer is `json.loads` alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import feedparser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.feeds.parse import parse_feed  # noqa: E402
from tests.helpers.feeds import real_atom, real_items, real_json_feed, real_rss  # noqa: E402

TRUTH = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "aeb"
BASE = "https://news.example"


def per_second(parse: Callable[[], int], repeat: int) -> float:
    """Entries per second, the best of `repeat` runs (the least disturbed)."""
    best = float("inf")
    entries = 0
    for _ in range(repeat):
        started = time.perf_counter()
        entries = parse()
        best = min(best, time.perf_counter() - started)
    return entries / best


def _ours(document: bytes, url: str, content_type: str) -> Callable[[], int]:
    return lambda: len(parse_feed(document, url, content_type).entries)


def _peer(document: bytes, is_json: bool) -> Callable[[], int]:
    """feedparser with the options ours gives it (no sanitising, no URI resolving)."""
    if is_json:
        return lambda: len(json.loads(document)["items"])
    return lambda: len(
        feedparser.parse(document, sanitize_html=False, resolve_relative_uris=False).entries
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,200,500", help="Entries per feed.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each; the best counts.")
    args = parser.parse_args()
    url = "https://news.example/feed"
    print(f"{'format':<6} {'entries':>7} {'KiB':>7} {'ours/s':>9} {'peer/s':>9} {'ratio':>6}  peer")
    for size in (int(s) for s in args.sizes.split(",")):
        items = real_items(size)
        for name, document, content_type in [
            ("rss", real_rss(items), "application/rss+xml"),
            ("atom", real_atom(items), "application/atom+xml"),
            ("json", real_json_feed(items), "application/feed+json"),
        ]:
            assert len(parse_feed(document, url, content_type).entries) == size
            ours = per_second(_ours(document, url, content_type), args.repeat)
            peer_name = "json.loads" if name == "json" else "feedparser"
            peer = per_second(_peer(document, name == "json"), args.repeat)
            print(
                f"{name:<6} {size:>7} {len(document) / 1024:>7.0f} {ours:>9.0f} {peer:>9.0f} "
                f"{ours / peer:>6.2f}  {peer_name}"
            )


if __name__ == "__main__":
    main()
