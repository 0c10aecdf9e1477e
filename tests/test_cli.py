"""The command line on a real store: schema commands, feeds, search, and the refusal to work
on a store whose schema does not match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

from ingest.cli import main
from storage.articles import store_article
from storage.engine import create_store_engine
from storage.schema import head_revision
from tests.helpers.httpserver import TestServer, respond
from tests.helpers.records import article

HEAD = head_revision()


def ingest(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", database_url, *args])
    return result.exit_code, result.output


def test_db_upgrade_then_current(empty_database_url: str) -> None:
    assert ingest(empty_database_url, "db", "current")[1].startswith("store: not set up")
    code, out = ingest(empty_database_url, "db", "upgrade")
    assert (code, out.strip()) == (0, f"Store upgraded from empty to schema revision {HEAD}.")
    code, out = ingest(empty_database_url, "db", "upgrade")
    assert out.strip() == f"Store already at schema revision {HEAD}."
    assert ingest(empty_database_url, "db", "current")[1].strip() == (
        f"store: {HEAD}; code: {HEAD} (up to date)"
    )


def test_feeds_add_list_remove(database_url: str) -> None:
    assert (
        ingest(database_url, "feeds", "add", "https://a.example/rss", "https://b.example/rss")[0]
        == 0
    )
    code, out = ingest(database_url, "feeds", "list")
    assert code == 0 and "https://a.example/rss" in out and "https://b.example/rss" in out
    assert ingest(database_url, "feeds", "remove", "https://a.example/rss")[0] == 0
    assert "https://a.example/rss" not in ingest(database_url, "feeds", "list")[1]
    code, out = ingest(database_url, "feeds", "remove", "https://a.example/rss")
    assert code == 1 and out == (
        "Error: no feed with URL or id https://a.example/rss: `ingest feeds list` shows them\n"
    )


def test_search_prints_title_and_url(database_url: str) -> None:
    engine = create_store_engine(database_url)
    with engine.begin() as conn:
        store_article(conn, article("https://x.example/p", title="Pipeline deal", text="Gas."))
    engine.dispose()
    code, out = ingest(database_url, "search", "pipeline")
    assert code == 0 and "Pipeline deal" in out and "https://x.example/p" in out
    assert ingest(database_url, "search", "unrelated")[1].strip() == "No matches."


def test_outdated_store_stops_with_one_clear_sentence(tmp_path: Path) -> None:
    """Run as a user would: a real process, a real file, the message on stderr."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    env = {**os.environ, "INGEST_DATABASE_URL": url}
    run = [sys.executable, "-m", "ingest", "feeds", "list"]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 1
    assert f"there is no store at {tmp_path / 'old.db'}: run `ingest db upgrade`" in first.stderr
    assert not (tmp_path / "old.db").exists()  # looking made nothing
    subprocess.run([*run[:3], "db", "upgrade"], env=env, check=True, capture_output=True)
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    again = subprocess.run(run, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 1
    assert f"newer than this version of ingest knows ({HEAD})" in again.stderr


def test_bad_setting_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["feeds", "list"], env={"INGEST_MAX_REDIRECTS": "x"})
    assert result.exit_code == 2 and "max_redirects: expected int" in result.output


GOLDEN_PAGE = Path(__file__).parent / "golden" / "extract" / "double-body.html"


def test_extract_prints_a_saved_page_and_what_was_removed() -> None:
    result = CliRunner().invoke(main, ["extract", str(GOLDEN_PAGE), "--url", "https://x.test/a"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "title:         Harbour tunnel opens after six years" in out
    assert (
        out.count("The harbour tunnel opened to traffic on Thursday morning") == 2
    )  # text, removed
    assert "removed: 5 blocks" in out and out.count("[duplicate]") == 4
    assert "[related-links] You may also like Schools to close early" in out  # beside it


def test_extract_fetches_a_url_and_prints_json() -> None:
    server = TestServer()
    try:
        url = server.route("/story", respond(200, GOLDEN_PAGE.read_bytes(), "text/html"))
        server.route("/gone", respond(404, b"gone", "text/plain"))
        result = CliRunner().invoke(main, ["--allow-private-networks", "extract", url, "--json"])
        assert result.exit_code == 0, result.output
        article = json.loads(result.output)
        assert article["title"] == "Harbour tunnel opens after six years"
        assert article["published"] == "2026-11-20T07:30:00+00:00"
        assert article["html"].startswith("<p>The harbour tunnel opened")
        assert [r["reason"] for r in article["removed"]] == ["related-links"] + ["duplicate"] * 4
        assert server.hits["/story"] == 1

        missing = CliRunner().invoke(
            main, ["--allow-private-networks", "extract", server.url("/gone")]
        )
        assert missing.exit_code == 1 and "HTTP 404" in missing.output
        # With the SSRF guard on (the default), a loopback address is refused, not fetched.
        guarded = CliRunner().invoke(main, ["extract", server.url("/story")])
        assert guarded.exit_code == 1 and "(blocked)" in guarded.output
        assert server.hits["/story"] == 1
    finally:
        server.close()


def test_extract_of_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code == 1 and "cannot read" in result.output
