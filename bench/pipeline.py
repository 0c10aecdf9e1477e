"""End-to-end pipeline benchmark: feeds and article pages served on 127.0.0.1, the whole
pipeline (fetch -> parse -> extract -> clean -> dedup -> store) into SQLite and PostgreSQL.

    .venv/bin/python bench/pipeline.py                 # 1k and 10k articles, SQLite
    .venv/bin/python bench/pipeline.py --postgres URL  # also PostgreSQL (a superuser URL)
    .venv/bin/python bench/pipeline.py --real          # the 791 real pages of wcxb-dev

The feeds go through the daemon's own tick (`ingest run`): `claim_batch` feeds in flight, the
next claimed as one finishes. Prints articles stored per second and peak memory (this
process, and the largest of its extraction and writer processes), and, as the peer measured
in the same run, the rate at which the same pages are merely downloaded by the same fetcher
(no parsing, no store): the pipeline's ceiling.
Pages are distinct synthetic articles built from sentences of the extraction benchmark's
texts, inside a page template with navigation, related links and a footer, all on one host.

`--real` serves instead the 791 real article pages of ../shared/bench/wcxb-dev/ (median
80 kB), spread over 59 hosts (127.0.0.2-127.0.0.60, all loopback, each a host of its own to
the politeness limits, which stay at their defaults), one feed per host; with copies as feeds
deliver them: every fifth page also listed by another host's feed under its URL with
tracking parameters, every seventh served again by another host as a lightly edited
syndicated copy (its own URL, a credit line added, its title changed).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import multiprocessing
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from ingest.config import Settings  # noqa: E402
from ingest.http.fetch import Fetcher  # noqa: E402
from ingest.worker.daemon import Daemon  # noqa: E402
from ingest.worker.page_workers import PageWorkers  # noqa: E402
from ingest.worker.pipeline import Count, Pipeline  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.helpers.feeds import rss  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "bench"
TRUTH = SHARED / "aeb"
REAL = SHARED / "wcxb-dev"
PER_FEED = 50
REAL_HOSTS = [f"127.0.0.{n}" for n in range(2, 61)]
TRACKING = "?utm_source=rss&utm_medium=feed&utm_campaign=daily"
TRACKED_EVERY, SYNDICATED_EVERY = 5, 7


def sentences() -> list[str]:
    truth = json.loads((TRUTH / "ground-truth.json").read_text(encoding="utf-8"))
    found = []
    for item in truth.values():
        for sentence in item["articleBody"].replace("\n", " ").split(". "):
            if 8 <= len(sentence.split()) <= 40:
                found.append(sentence.strip().rstrip(".") + ".")
    return found


def page(n: int, pool: list[str], rng: random.Random) -> bytes:
    paragraphs = [" ".join(rng.sample(pool, 3)) for _ in range(rng.randint(6, 12))]
    related = "".join(
        f'<li><a href="/a/{rng.randint(0, 10**6)}">{escape(rng.choice(pool)[:60])}</a></li>'
        for _ in range(6)
    )
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Story {n}</title>"
        f"<meta property='og:title' content='Story {n}'></head><body>"
        "<header><nav><a href='/'>Home</a><a href='/world'>World</a><a href='/sport'>Sport"
        f"</a></nav></header><main><article><h1>Story {n}</h1><div class='byline'>By A. "
        f"Writer</div><div class='article-body'>{body}</div></article>"
        f"<aside class='related'><h3>Related</h3><ul>{related}</ul></aside></main>"
        "<footer>© News Example. All rights reserved.</footer></body></html>"
    ).encode()


STATIC_SERVER = """
import functools, http.server, sys, threading

class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real sites do
    disable_nagle_algorithm = True  # else a delayed ACK stalls each body by 40 ms
    def log_message(self, *args): pass

handler = functools.partial(Handler, directory=sys.argv[2])
servers = [http.server.ThreadingHTTPServer((host, int(sys.argv[1])), handler)
           for host in sys.argv[3:]]
for server in servers[1:]:
    threading.Thread(target=server.serve_forever, daemon=True).start()
servers[0].serve_forever()
"""


class StaticServer:
    """Python's static file server over a directory, on one port of each of `hosts` (all
    loopback addresses), in its own process (a server sharing the benchmark's process would
    compete with it for the GIL)."""

    def __init__(self, root: Path, hosts: tuple[str, ...] = ("127.0.0.1",)) -> None:
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            self.port = probe.getsockname()[1]
        self.hosts = hosts
        self.process = subprocess.Popen(
            [sys.executable, "-c", STATIC_SERVER, str(self.port), str(root), *hosts],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(self._listening(host) for host in hosts):
                return
            time.sleep(0.05)
        raise RuntimeError("static server did not start")

    def _listening(self, host: str) -> bool:
        with socket.socket() as s:
            return s.connect_ex((host, self.port)) == 0

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.hosts[0]}:{self.port}{path}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def build(
    root: Path, server: StaticServer, articles: int, seed: int
) -> tuple[list[str], list[str]]:
    """Write the pages and feeds; return the feed URLs and the page paths."""
    rng = random.Random(seed)
    pool = sentences()
    feeds, paths = [], []
    (root / f"s{seed}" / "story").mkdir(parents=True)
    (root / f"s{seed}" / "feed").mkdir(parents=True)
    for f in range(0, articles, PER_FEED):
        items = []
        for n in range(f, min(articles, f + PER_FEED)):
            path = f"/s{seed}/story/{n}.html"
            (root / path.lstrip("/")).write_bytes(page(n, pool, rng))
            items.append((f"s{seed}-{n}", server.url(path), f"Story {n}"))
            paths.append(path)
        feed = f"/s{seed}/feed/{f}.xml"
        (root / feed.lstrip("/")).write_bytes(rss(items))
        feeds.append(server.url(feed))
    return feeds, paths


def build_real(root: Path, server: StaticServer) -> tuple[list[str], list[str]]:
    """The real pages behind one feed per host, with tracking-URL and syndicated copies;
    return the feed URLs and the URLs of every page served (the download-only peer's)."""
    hosts = server.hosts
    (root / "real").mkdir()
    entries: dict[str, list[tuple[str, str, str]]] = {host: [] for host in hosts}
    pages: list[str] = []
    for n, path in enumerate(sorted((REAL / "html").glob("*.html.gz"))):
        page_id = path.name.removesuffix(".html.gz")
        html = gzip.decompress(path.read_bytes())
        (root / "real" / f"{page_id}.html").write_bytes(html)
        home = hosts[n % len(hosts)]
        other = hosts[(n + len(hosts) // 2) % len(hosts)]
        url = server.url(f"/real/{page_id}.html", home)
        entries[home].append((page_id, url, f"Page {page_id}"))
        pages.append(url)
        if n % TRACKED_EVERY == 0:  # the same page under its URL with tracking parameters
            entries[other].append((f"{page_id}-tracked", url + TRACKING, f"Page {page_id}"))
        if n % SYNDICATED_EVERY == 0:  # served again elsewhere, lightly edited
            copy = server.url(f"/real/{page_id}-syndicated.html", other)
            (root / "real" / f"{page_id}-syndicated.html").write_bytes(syndicated(html))
            entries[other].append((f"{page_id}-syndicated", copy, f"Page {page_id}"))
            pages.append(copy)
    feeds = []
    for i, host in enumerate(hosts):
        (root / "real" / f"feed-{i}.xml").write_bytes(rss(entries[host]))
        feeds.append(server.url(f"/real/feed-{i}.xml", host))
    return feeds, pages


_BODY_TAG = re.compile(rb"<body[^>]*>", re.I)


def syndicated(html: bytes) -> bytes:
    """A syndicated copy as partners publish one: a credit line above the article and the
    title changed, the rest as it was."""
    html = html.replace(b"</title>", b" - Partner Wire</title>", 1)
    credit = (
        b"<p>This story was first published by one of our partners and is republished here.</p>"
    )
    match = _BODY_TAG.search(html)
    return html[: match.end()] + credit + html[match.end() :] if match else credit + html


def own_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def extractor_peak_mib(workers: PageWorkers) -> float:
    """The largest peak resident size among the extractor processes (they are the
    forkserver's children, not ours, so getrusage does not see them)."""
    peaks = [0.0]
    pools = (workers.extractors.executor, workers.writer.executor)
    for process in [p for pool in pools for p in getattr(pool, "_processes", {}).values()]:
        status = Path(f"/proc/{process.pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


async def download_only(settings: Settings, urls: list[str]) -> float:
    slots = asyncio.Semaphore(settings.max_connections)

    async def get(url: str) -> int:
        async with slots:
            return len((await fetcher.fetch(url)).content)

    started = time.perf_counter()
    async with Fetcher(settings) as fetcher:
        await asyncio.gather(*map(get, urls))
    return len(urls) / (time.perf_counter() - started)


def run_ingest(settings: Settings, url: str, feeds: list[str], results: Any) -> None:
    """In a process of its own, so that its peak memory is its own."""
    stored, rate, extractor, counts = asyncio.run(ingest(settings, url, feeds))
    results.put((stored, rate, own_peak_mib(), extractor, counts))


async def ingest(
    settings: Settings, database_url: str, feeds: list[str]
) -> tuple[int, float, float, dict[str, int]]:
    """One tick of the daemon (`ingest run`): every feed is due, so it claims batch after
    batch until none is left, as the daemon works through a backlog."""
    store = Store(database_url, create=True)
    store.upgrade()
    store.add_feeds(feeds, poll_interval=settings.default_poll_interval)
    workers = PageWorkers.for_settings(store, settings)
    daemon = Daemon(settings, store)
    started = time.perf_counter()
    try:
        async with Pipeline(settings, store, workers, daemon.owner) as pipeline:
            await daemon.tick(pipeline)
            counts = pipeline.stats.counts
            stored = counts[Count.NEW] + counts[Count.COPIES]
        extractor_peak = extractor_peak_mib(workers)
    finally:
        await workers.close()
    seconds = time.perf_counter() - started
    store.close()
    return stored, stored / seconds, extractor_peak, {str(k): v for k, v in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="article counts to run")
    parser.add_argument("--postgres", help="PostgreSQL superuser URL to benchmark too")
    parser.add_argument("--real", action="store_true", help="the real pages of wcxb-dev")
    args = parser.parse_args()
    if args.real:
        # Many hosts: the politeness limits stay at their defaults.
        settings = Settings(allow_private_networks=True, store_raw_html=True)
    else:
        settings = Settings(
            allow_private_networks=True,
            respect_robots_txt=False,
            store_raw_html=True,
            max_connections=8,  # to the one local host: enough to keep the workers busy
            max_connections_per_host=8,
        )
    site = tempfile.TemporaryDirectory()
    root = Path(site.name)
    server = StaticServer(root, tuple(REAL_HOSTS) if args.real else ("127.0.0.1",))
    targets: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    print("engine      articles  stored/s  download-only/s  ratio  peak MiB (main, extractor)")
    try:
        if args.real:
            feeds, pages = build_real(root, server)
            ceiling = asyncio.run(download_only(settings, pages))
            for name, admin in targets:
                run_one(name, admin, "real", settings, feeds, ceiling)
        else:
            for size in (int(s) for s in args.sizes.split(",")):
                feeds, paths = build(root, server, size, seed=size)
                ceiling = asyncio.run(download_only(settings, [server.url(p) for p in paths]))
                for name, admin in targets:
                    run_one(name, admin, f"s{size}", settings, feeds, ceiling)
    finally:
        server.close()
        site.cleanup()


def run_one(
    name: str, admin: str | None, label: str, settings: Settings, feeds: list[str], ceiling: float
) -> None:
    """One ingest of the feeds into a fresh store of the engine, in a process of its own."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        url = (
            f"sqlite:///{tmp}/bench.db"
            if admin is None
            else fresh_pg_database(admin, f"bench_{label}")
        )
        results = context.Queue()
        child = context.Process(target=run_ingest, args=(replace(settings), url, feeds, results))
        child.start()
        stored, rate, own, children, counts = results.get()
        child.join()
    print(
        f"{name:<11} {stored:>8} {rate:>9.0f} {ceiling:>16.0f} "
        f"{rate / ceiling:>6.2f}  {own:.0f}, {children:.0f}"
    )
    if label == "real":
        shown = ("entries", "new articles", "copies", "already known", "errors")
        print("            " + ", ".join(f"{key} {counts.get(key, 0)}" for key in shown))


def fresh_pg_database(admin_url: str, name: str) -> str:
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    main()
