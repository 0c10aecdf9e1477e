"""Bad input at the command line, as a new user gives it: every case ends in one `Error:`
line (no traceback), a non-zero exit, and a store exactly as it was."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import main
from tests.helpers.httpserver import TestServer, respond, silent_listener
from tests.helpers.stores import dump


def ingest(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def one_sentence(code: int, out: str, *expected: str) -> None:
    assert code != 0, out
    assert "Traceback" not in out, out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert lines[0].startswith(("Error: ", "Usage: ")) or "Error: " in out, out
    for text in expected:
        assert text in out, out


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


BAD_DATABASE_URLS = {
    "sqlte:///x.db": "sqlte:// databases are not supported",
    "mysql://u@localhost/db": "mysql:// databases are not supported",
    "": "'' is not a database URL",
    "not a url": "'not a url' is not a database URL",
    "postgresql://u@[::1/db": "is not a database URL",
}


@pytest.mark.parametrize("url", list(BAD_DATABASE_URLS))
def test_a_database_url_that_cannot_be_a_store(url: str, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    for command in (["feeds", "list"], ["db", "upgrade"], ["feeds", "add", "https://a.example/"]):
        code, out = ingest("--database-url", url, *command)
        one_sentence(code, out, BAD_DATABASE_URLS[url], "use sqlite:///PATH or postgresql://")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(8192),  # random bytes
        b"SQLite format 3\x00" + os.urandom(100),  # a truncated database
    ],
    ids=["random-bytes", "truncated"],
)
def test_a_store_file_that_is_not_a_database(content: bytes, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    store.write_bytes(content)
    for command in (["feeds", "list"], ["db", "upgrade"], ["search", "x"], ["prune"]):
        code, out = ingest("--database-url", sqlite_url(store), *command)
        if command == ["prune"]:  # nothing to prune by default settings but fetches
            pass
        one_sentence(code, out, "the store cannot be read")
    assert store.read_bytes() == content


def test_a_store_with_garbled_pages(tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    assert ingest("--database-url", sqlite_url(store), "db", "upgrade")[0] == 0
    assert ingest("--database-url", sqlite_url(store), "feeds", "add", "https://a.example/")[0] == 0
    data = bytearray(store.read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every page but the header's
        data[start : start + page] = os.urandom(min(page, len(data) - start))
    store.write_bytes(bytes(data))
    for wal in tmp_path.glob("store.db-*"):
        wal.unlink()
    code, out = ingest("--database-url", sqlite_url(store), "feeds", "list")
    one_sentence(code, out)
    assert store.read_bytes() == bytes(data)


def test_a_store_path_that_is_a_directory_or_under_a_missing_one(tmp_path: Path) -> None:
    code, out = ingest("--database-url", sqlite_url(tmp_path), "feeds", "list")
    one_sentence(code, out, "is a directory, not a store file")
    missing = tmp_path / "nowhere" / "store.db"
    code, out = ingest("--database-url", sqlite_url(missing), "feeds", "list")
    one_sentence(code, out, f"directory {missing.parent} does not exist")
    assert not missing.parent.exists()
    # `db upgrade` is how a store is made: it makes the directory too.
    assert ingest("--database-url", sqlite_url(missing), "db", "upgrade")[0] == 0


def test_another_applications_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    import sqlite3

    store = tmp_path / "other.db"
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE feeds (name TEXT)")
        conn.execute("INSERT INTO feeds VALUES ('mine')")
    before = store.read_bytes()
    code, out = ingest("--database-url", sqlite_url(store), "db", "upgrade")
    one_sentence(code, out, "holds tables of something else (feeds)", "not a feed-ingest store")
    assert store.read_bytes() == before


def test_another_applications_postgresql_database_is_refused_untouched(
    pg_database_url: str,
) -> None:
    from sqlalchemy import text

    from storage.engine import create_store_engine

    engine = create_store_engine(pg_database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        conn.execute(text("CREATE TABLE their_things (id int)"))
        tables = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    engine.dispose()
    code, out = ingest("--database-url", pg_database_url, "db", "upgrade")
    one_sentence(code, out, "holds tables of something else", "not a feed-ingest store")
    engine = create_store_engine(pg_database_url)
    with engine.connect() as conn:
        after = set(
            conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
    engine.dispose()
    assert after == tables


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_postgresql_refusing_the_connection() -> None:
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/x"
    code, out = ingest("--database-url", url, "feeds", "list")
    one_sentence(code, out, "Connection refused")


@pytest.mark.slow
def test_a_postgresql_port_that_never_answers_times_out() -> None:
    with silent_listener() as port:
        code, out = ingest("--database-url", f"postgresql://postgres@127.0.0.1:{port}/x", "stats")
    one_sentence(code, out, "timeout")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"INGEST_EXTRACT_WORKERS": "0"}, "extract_workers must be from 1 to 256, not 0"),
        ({"INGEST_METRICS_PORT": "70000"}, "metrics_port must be from 0 to 65535, not 70000"),
        ({"INGEST_REQUEST_TIMEOUT": "nan"}, "request_timeout must be from 0.001 up, not nan"),
        ({"INGEST_LOG_FORMAT": "xml"}, "log_format must be one of text, json, not 'xml'"),
        ({"INGEST_MAX_CONNECTIONS": "lots"}, "max_connections: expected int, got 'lots'"),
    ],
)
def test_settings_out_of_range_are_refused_when_loaded(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    store = tmp_path / "store.db"
    code, out = ingest("--database-url", sqlite_url(store), "stats", env=env)
    assert code == 2 and expected in out and "Traceback" not in out
    assert not store.exists()


def test_a_metrics_port_out_of_range_on_the_run_command(database_url: str) -> None:
    code, out = ingest("--database-url", database_url, "run", "--metrics-port", "70000")
    assert code == 2 and "70000 is not in the range 0<=x<=65535" in out


HUGE = "99999999999999999999"


@pytest.mark.parametrize(
    "command",
    [
        ["search", "x", "--limit", HUGE],
        ["articles", "--limit", HUGE],
        ["duplicates", HUGE],
        ["copies", HUGE],
        ["show", HUGE],
        ["articles", "--limit", "0"],
        ["show", "0"],
    ],
)
def test_numbers_out_of_range_are_usage_errors(command: list[str], database_url: str) -> None:
    before = dump(database_url)
    code, out = ingest("--database-url", database_url, *command)
    assert code == 2 and "is not in the range" in out and "Traceback" not in out
    assert dump(database_url) == before


BAD_FEED_URLS = [
    "ftp://a.example/feed",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "",
    "http://",
    "notaurl",
]


@pytest.mark.parametrize("url", BAD_FEED_URLS)
def test_feeds_add_refuses_what_cannot_be_fetched(url: str, database_url: str) -> None:
    before = dump(database_url)
    code, out = ingest("--database-url", database_url, "feeds", "add", "https://ok.example/", url)
    one_sentence(code, out, "nothing was changed")
    assert dump(database_url) == before


def test_backfill_of_an_empty_feed_url_is_refused_unchanged(database_url: str) -> None:
    before = dump(database_url)
    code, out = ingest("--database-url", database_url, "backfill", "--feeds", "")
    one_sentence(code, out, "nothing was changed")
    assert dump(database_url) == before


def test_feeds_import_skips_and_names_urls_that_cannot_be_fetched(
    database_url: str, tmp_path: Path
) -> None:
    outlines = "".join(f'<outline text="x" xmlUrl="{u}"/>' for u in BAD_FEED_URLS if u)
    opml = tmp_path / "subs.opml"
    opml.write_text(
        f'<opml version="2.0"><body>{outlines}<outline text="ok" xmlUrl="https://ok.example/"/>'
        "</body></opml>"
    )
    code, out = ingest("--database-url", database_url, "feeds", "import", str(opml))
    assert code == 0 and "1 feed(s) subscribed" in out
    assert out.count("skipped: ") == len([u for u in BAD_FEED_URLS if u])
    code, out = ingest("--database-url", database_url, "feeds", "list", "--format", "jsonl")
    assert out.count("\n") == 1 and "https://ok.example/" in out


MALFORMED_OPML = {
    "not-xml": b"this is not xml at all <<<",
    "empty": b"",
    "external-entity": (
        b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>'
    ),
    "entity-bomb": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b'<opml><body><outline text="&lol3;" xmlUrl="https://a.example/"/></body></opml>'
    ),
}


@pytest.mark.parametrize("name", list(MALFORMED_OPML))
def test_malformed_opml_for_backfill_and_import(
    name: str, database_url: str, tmp_path: Path
) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_bytes(MALFORMED_OPML[name])
    before = dump(database_url)
    for command in (["backfill", "--opml", str(opml)], ["feeds", "import", str(opml)]):
        code, out = ingest("--database-url", database_url, *command)
        one_sentence(code, out, "not a readable OPML file")
    assert dump(database_url) == before


def test_garbage_lines_in_a_urls_file(database_url: str, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_bytes(b"# my pages\n\nhttps://ok.example/a\n\xff\xfe garbage line \x00\n")
    before = dump(database_url)
    code, out = ingest("--database-url", database_url, "backfill", "--urls", str(urls))
    one_sentence(code, out, "nothing was changed")
    assert "# my pages" not in out
    assert dump(database_url) == before


def test_a_missing_config_file_and_a_broken_one(tmp_path: Path) -> None:
    code, out = ingest("--config", str(tmp_path / "none.toml"), "stats")
    assert code == 2 and "does not exist" in out
    broken = tmp_path / "broken.toml"
    broken.write_text("retention_days = [")
    code, out = ingest("--config", str(broken), "stats")
    assert code == 2 and "is not valid TOML" in out and "Traceback" not in out


def test_a_feed_asked_to_wait_is_put_off_not_an_error(database_url: str) -> None:
    server = TestServer()
    url = server.route(
        "/feed.xml", respond(429, b"slow down", "text/plain", {"Retry-After": "3600"})
    )
    try:
        result = CliRunner().invoke(
            main,
            [
                "--database-url",
                database_url,
                "--allow-private-networks",
                "backfill",
                "--feeds",
                url,
            ],
        )
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    summary = {
        " ".join(line.split("│")[1].split()): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if line.count("│") == 3
    }
    assert summary["feeds put off"] == "1" and summary["errors"] == "0"
    assert summary["feeds failed"] == "0"
    assert "error:" not in result.stderr
