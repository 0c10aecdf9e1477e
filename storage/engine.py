"""Engines for the two supported stores, set up the way the worker needs them.

SQLite: WAL (readers never block the writer; checkpoints are rare; set once, by the
migrations: `use_wal`), a busy timeout, foreign
keys on, and every transaction opened with `BEGIN IMMEDIATE` so that a write never fails
with "database is locked" half-way through; a connection with the execution option
`read_only=True` opens a deferred transaction instead, which does not take the write lock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SQLITE_BUSY_TIMEOUT_MS = 30_000
USE = "use sqlite:///PATH or postgresql://USER@HOST/DB"
POSTGRES_CONNECT_TIMEOUT = 10  # seconds: a port that accepts and never answers is an error
# Copy the WAL into the database every 40 MB of it rather than every 4 MB (the default): an
# article's index entries land on pages all over the file, and a page rewritten by several
# transactions between two checkpoints is copied once. Intake per article at 10k articles:
# 4.3 ms -> 3.8 ms.
SQLITE_CHECKPOINT_PAGES = 10_000
# SQLite's default page cache, 2 MiB per connection. Intake connections (the page writer's)
# take 8 MiB: the upper levels of the band and block indexes stay in memory as the store
# grows (intake at 8k articles: -10%), and memory stays bounded.
SQLITE_CACHE_KIB = 2 * 1024
SQLITE_INTAKE_CACHE_KIB = 8 * 1024


def normalise_database_url(url: str) -> str:
    """Accept `postgres://` and `postgresql://` as short for the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_store_engine(
    url: str, sqlite_cache_kib: int = SQLITE_CACHE_KIB, **kwargs: Any
) -> Engine:
    given, url = url, normalise_database_url(url)
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        parsed.database  # noqa: B018 - reading it checks the URL's form
    except (ArgumentError, ValueError):
        raise ValueError(f"{given!r} is not a database URL: {USE}") from None
    if backend == "sqlite":
        return _sqlite_engine(url, sqlite_cache_kib, **kwargs)
    if parsed.get_backend_name() == "postgresql":
        connect_args = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT}
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)
    raise ValueError(f"{backend}:// databases are not supported: {USE}")


def sqlite_location_problem(url: URL, create: bool = False) -> str | None:
    """Why an SQLite store cannot be at this URL's path (None: it can, or it is not
    SQLite). With `create`, a missing file or directory is made rather than refused
    (opening a missing file would create it: only `ingest db upgrade` may)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database).expanduser()
    if path.is_dir():
        return f"{path} is a directory, not a store file: give a file path"
    if not path.parent.is_dir():
        if not create:
            return f"directory {path.parent} does not exist: create it, or run `ingest db upgrade`"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create directory {path.parent}: {exc.strerror}"
    if not create and not path.exists():
        return f"there is no store at {path}: run `ingest db upgrade` to make one"
    return None


def _sqlite_engine(url: str, cache_kib: int, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Takes effect in a new store only (before its first table): pruning can then give
        # free pages back without rewriting the file (`storage.retention`).
        cursor.execute("PRAGMA auto_vacuum=INCREMENTAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get("read_only", False)
        conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")

    return engine


def use_wal(engine: Engine) -> None:
    """Put an SQLite store in WAL mode, which the file keeps (so a connection need not ask
    again, and a file that is not a store is never changed by opening it)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    raw = engine.raw_connection()  # autocommit: the journal mode changes outside a transaction
    try:
        raw.cursor().execute("PRAGMA journal_mode=WAL").fetchall()
    finally:
        raw.close()


def reading(engine: Engine) -> Connection:
    """A connection for reads only: on SQLite its transactions do not take the write lock."""
    return engine.connect().execution_options(read_only=True)
