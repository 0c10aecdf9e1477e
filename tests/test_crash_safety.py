"""Crash safety through the real command: a backfill killed with SIGKILL leaves no process
behind, and a rerun ends with the store an uninterrupted run makes (articles, URLs, entries,
removed blocks), on both engines; a tracking-URL variant is one of its article's URLs
whichever spelling came first."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from ingest.cli import main
from storage.engine import create_store_engine
from storage.models import ArticleUrl, Entry
from tests import pgserver
from tests.helpers.feeds import rss
from tests.helpers.httpserver import TestServer, respond, send
from tests.helpers.site import Site, article_page
from tests.helpers.workers import (
    counts,
    finish,
    needs_aeb,
    page_hits,
    settings_env,
    snapshot,
    start_worker,
    subscribe,
    upgrade_store,
    wait_for,
)

pytestmark = pytest.mark.slow


def descendants(pid: int) -> set[int]:
    """The processes under `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


def backfill(env: dict[str, str], feeds: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "backfill", *feeds],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@needs_aeb
def test_a_killed_backfill_leaves_no_process_and_a_rerun_ends_like_an_uninterrupted_run(
    site: Site, database_url: str, tmp_path: Path
) -> None:
    env = settings_env(database_url) | {"INGEST_MAX_CONNECTIONS": "2"}
    before = sum(page_hits(site.server).values())
    run = backfill(env, site.good_feeds)
    helpers: set[int] = set()
    try:
        wait_for(lambda: sum(page_hits(site.server)[p] for p in site.pages) >= 3)
        helpers = descendants(run.pid)
        assert helpers, "the backfill runs extraction and writer processes"
        os.kill(run.pid, signal.SIGKILL)  # the main process alone: no signal reaches them
        run.communicate(timeout=30)
        wait_for(lambda: not any(alive(pid) for pid in helpers), timeout=15)
    finally:
        for pid in helpers:  # never leave one behind, even when the test fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert sum(page_hits(site.server).values()) > before

    rerun = backfill(env, site.good_feeds)
    _, stderr = rerun.communicate(timeout=180)
    assert rerun.returncode == 0, stderr
    assert "Traceback" not in stderr

    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    upgrade_store(settings_env(clean_url))
    clean = backfill(settings_env(clean_url) | {"INGEST_MAX_CONNECTIONS": "2"}, site.good_feeds)
    _, stderr = clean.communicate(timeout=180)
    assert clean.returncode == 0, stderr

    interrupted, uninterrupted = snapshot(database_url), snapshot(clean_url)
    for part in ("articles", "copies", "urls", "entries", "removed"):
        assert interrupted[part] == uninterrupted[part], part
    assert len(uninterrupted["articles"]) == len(site.pages) + 3


@pytest.mark.parametrize("plain_first", [True, False])
def test_every_url_an_entry_linked_to_is_one_of_its_articles(
    database_url: str, plain_first: bool
) -> None:
    server = TestServer()
    words = "An article with enough words to be kept as its text, said the tester. " * 6
    server.route("/story", respond(200, article_page("Story", [words] * 4), "text/html"))
    plain, tracked = server.url("/story"), server.url("/story?utm_source=feed&utm_medium=rss")
    first, second = (plain, tracked) if plain_first else (tracked, plain)
    server.route("/first.xml", respond(200, rss([("a", first, "Story")]), "application/rss+xml"))
    server.route("/second.xml", respond(200, rss([("b", second, "Story")]), "application/rss+xml"))
    env = settings_env(database_url)
    runner = CliRunner()
    try:
        for feed in ("/first.xml", "/second.xml"):  # one run each: the order is fixed
            result = runner.invoke(main, ["backfill", server.url(feed)], env=env)
            assert result.exit_code == 0, result.output
    finally:
        server.close()
    assert (
        server.hits["/story"] == 1
        or sum(n for path, n in server.hits.items() if path.startswith("/story")) == 1
    )
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        urls = set(conn.execute(select(ArticleUrl.url)).scalars())
        linked = set(conn.execute(select(Entry.article_id)).scalars())
    engine.dispose()
    assert {plain, tracked} <= urls
    assert len(linked) == 1 and None not in linked


def test_the_extraction_processes_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    """The pool's own guarantee, without a store: a parent killed with SIGKILL."""
    script = (
        "import time\n"
        "from ingest.worker.pool import IsolatedPool\n"
        "pool = IsolatedPool(2, print, ('ready',))\n"
        "print('started', flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    helpers: set[int] = set()
    try:
        assert parent.stdout is not None
        while "started" not in parent.stdout.readline():
            pass
        helpers = descendants(parent.pid)
        assert len(helpers) >= 2
        parent.kill()
        parent.wait(10)
        wait_for(lambda: not any(alive(pid) for pid in helpers), timeout=15)
    finally:
        for pid in helpers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
        parent.communicate()


def _slow_page_site(delay: float) -> TestServer:
    """A feed of one entry whose page takes `delay` seconds to answer."""
    server = TestServer()
    words = "An article with enough words to be kept as its text, said the tester. " * 6
    page = article_page("Slow story", [words] * 4)

    def slowly(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(delay)
        send(handler, 200, page, "text/html")

    server.route("/slow", slowly)
    server.route(
        "/feed.xml", respond(200, rss([("s", server.url("/slow"), "Slow")]), "application/rss+xml")
    )
    return server


def _stop_while_fetching(database_url: str, delay: float, grace: float) -> tuple[int, str, float]:
    server = _slow_page_site(delay)
    env = settings_env(database_url) | {
        "INGEST_GRACE_PERIOD": str(grace),
        "INGEST_REQUEST_TIMEOUT": "60",
    }
    try:
        subscribe(database_url, [server.url("/feed.xml")])
        worker = start_worker(env)
        try:
            wait_for(lambda: server.hits["/slow"] >= 1)
            worker.send_signal(signal.SIGTERM)
            stopped = time.monotonic()
            code, stderr = finish(worker, 60)
            return code, stderr, time.monotonic() - stopped
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.communicate()
    finally:
        server.close()


def test_sigterm_lets_the_tick_in_flight_finish_within_the_grace_period(
    database_url: str,
) -> None:
    code, stderr, _ = _stop_while_fetching(database_url, delay=2.0, grace=30)
    assert code == 0, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr
    assert counts(database_url)["articles"] == 1  # the page in flight was stored
    assert counts(database_url)["leased"] == 0


def test_sigterm_with_a_hanging_page_stops_after_the_grace_period_without_a_traceback(
    database_url: str,
) -> None:
    code, stderr, took = _stop_while_fetching(database_url, delay=60.0, grace=2)
    assert code == 0, stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr
    assert "grace period" in stderr
    assert took < 20
    assert counts(database_url)["leased"] == 0


@needs_aeb
def test_a_database_lost_mid_backfill_ends_it_in_one_sentence_and_the_next_run_completes(
    site: Site,
) -> None:
    directory = Path(tempfile.mkdtemp(prefix="ingest-pg-"))  # a path the postgres user reaches
    try:
        admin = pgserver.start(directory)
    except pgserver.PostgresUnavailable as exc:
        shutil.rmtree(directory, ignore_errors=True)
        if os.environ.get("CI") or os.environ.get("INGEST_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but could not start: {exc}")
        pytest.skip(f"no PostgreSQL of its own for this test: {exc}")
    try:
        env = settings_env(admin) | {"INGEST_MAX_CONNECTIONS": "2"}
        upgrade_store(env)
        run = backfill(env, site.good_feeds)
        wait_for(lambda: sum(page_hits(site.server)[p] for p in site.pages) >= 2)
        pgserver.stop(directory)
        _, stderr = run.communicate(timeout=120)
        assert run.returncode != 0
        assert "Traceback" not in stderr, stderr
        last = [line for line in stderr.splitlines() if line.strip()][-1]
        assert last.startswith("Error: ") and "store" in last, stderr

        pgserver.resume(directory)
        rerun = backfill(env, site.good_feeds)
        _, stderr = rerun.communicate(timeout=180)
        assert rerun.returncode == 0, stderr
        done = counts(admin)
        assert done["articles"] == done["distinct urls"] == len(site.pages) + 3
    finally:
        pgserver.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def _boilerplate_site() -> tuple[TestServer, list[str]]:
    """Eight articles of one host that share a line (its boilerplate, past the threshold of
    five), each listed by four feeds, so that two runs fetch and store every page twice."""
    server = TestServer()
    shared = "The Ledger is an independent newspaper published in the town since 1901."
    for n in range(8):
        words = f"Story {n} has its own words, and many of them, said reporter {n}. " * 6
        paragraphs = [words, shared, words.replace("own", "many"), words.upper()]
        server.route(f"/a/{n}", respond(200, article_page(f"Story {n}", paragraphs), "text/html"))
    feeds = []
    for f in range(4):
        items = [(f"f{f}-{n}", server.url(f"/a/{(n + f) % 8}"), f"Story {n}") for n in range(8)]
        feeds.append(server.route(f"/feed{f}.xml", respond(200, rss(items), "application/rss+xml")))
    return server, feeds


def test_two_backfills_at_once_on_one_store_end_like_one_run(
    database_url: str, tmp_path: Path
) -> None:
    server, feeds = _boilerplate_site()
    try:
        env = settings_env(database_url)
        runs = [backfill(env, feeds) for _ in range(2)]
        for run in runs:
            _, stderr = run.communicate(timeout=240)
            assert run.returncode == 0, stderr
        once_url = f"sqlite:///{tmp_path / 'once.db'}"
        upgrade_store(settings_env(once_url))
        once = backfill(settings_env(once_url), feeds)
        _, stderr = once.communicate(timeout=180)
        assert once.returncode == 0, stderr
    finally:
        server.close()
    together, alone = snapshot(database_url), snapshot(once_url)
    assert any(reason == "site-boilerplate" for _, _, reason, _ in alone["removed"])
    for part in ("articles", "copies", "urls", "entries", "removed"):
        assert together[part] == alone[part], part
