"""Shared fixtures: a store on each engine (a real SQLite file, a real PostgreSQL server).

PostgreSQL comes from INGEST_TEST_DATABASE_URL (a superuser URL; each test gets a fresh
database), else from a throwaway server started here when the binaries exist, else the
PostgreSQL tests are skipped with the reason. With CI or INGEST_REQUIRE_POSTGRES set, a
server that cannot be had fails the run instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from storage.engine import create_store_engine
from storage.schema import upgrade
from tests import pgserver
from tests.helpers.httpserver import TestServer
from tests.helpers.site import Site, build_site

ENGINES = ["sqlite", "postgresql"]
TEMPLATE_DB = "ingest_template"
_counter = itertools.count()


def _postgres_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("INGEST_REQUIRE_POSTGRES"))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    url = os.environ.get("INGEST_TEST_DATABASE_URL")
    if url:
        yield url
        return
    directory = Path(tempfile.mkdtemp(prefix="ingest-pg-"))
    try:
        url = pgserver.start(directory)
    except pgserver.PostgresUnavailable as exc:
        shutil.rmtree(directory, ignore_errors=True)
        if _postgres_required():
            pytest.fail(f"PostgreSQL is required here but could not start: {exc}")
        pytest.skip(f"no PostgreSQL for the tests: {exc}")
    try:
        yield url
    finally:
        pgserver.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


def _admin(url: str) -> Engine:
    return create_engine(
        url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )


def _database_url(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_template(pg_admin_url: str) -> str:
    """A migrated database that each test's database is copied from (fast)."""
    admin = _admin(pg_admin_url)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
    admin.dispose()
    engine = create_store_engine(_database_url(pg_admin_url, TEMPLATE_DB))
    upgrade(engine)
    engine.dispose()
    return TEMPLATE_DB


def _new_pg_database(admin_url: str, template: str) -> str:
    name = f"ingest_test_{os.getpid()}_{next(_counter)}"
    admin = _admin(admin_url)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    admin.dispose()
    return _database_url(admin_url, name)


@pytest.fixture(params=ENGINES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a migrated, empty store on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = create_store_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    admin_url = request.getfixturevalue("pg_admin_url")
    return _new_pg_database(admin_url, request.getfixturevalue("pg_template"))


@pytest.fixture(params=ENGINES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a store with no schema at all, on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return _new_pg_database(request.getfixturevalue("pg_admin_url"), "template0")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_store_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_database_url(pg_admin_url: str, pg_template: str) -> str:
    """URL of a migrated, empty PostgreSQL store (for the tests that need several workers)."""
    return _new_pg_database(pg_admin_url, pg_template)


@pytest.fixture
def site() -> Iterator[Site]:
    """A local site of feeds and article pages built from the benchmark data."""
    server = TestServer()
    yield build_site(server)
    server.close()
