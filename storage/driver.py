"""Hot statements run by the driver itself, compiled once per dialect.

SQLAlchemy processes every execution's parameters in Python: type processors, expanding
`IN` lists, a parameter dictionary per row. That is more than half the cost of the small
lookups and inserts that intake runs for every article under the store's write lock. The
statements here take and return only integers, text and bytes, which need no conversion,
so they are compiled once to the driver's SQL and their values handed over as they are.
A list of values for `IN` fills a fixed number of slots (repeating its last value), so that
the statement, and the driver's prepared form of it, stays the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Connection, Table, any_, bindparam, cast, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import ClauseElement, ColumnElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util.typing import TupleAny, Unpack


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None
    """The parameters' order when the driver's are positional (None: by name)."""
    fixed: dict[str, Any]
    """Values the statement brings itself (a LIMIT, literals)."""

    def params(self, given: Mapping[str, Any]) -> Any:
        merged = {**self.fixed, **given} if self.fixed else given
        if self.names is None:
            return dict(merged)
        return tuple(merged[name] for name in self.names)


@lru_cache(maxsize=64)
def _compiled(dialect: Dialect, statement: ClauseElement) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ()) if compiled.positional else None
    fixed = {name: value for name, value in compiled.params.items() if value is not None}
    return _Compiled(compiled.string, names, fixed)


def execute(
    conn: Connection, statement: ClauseElement, params: Mapping[str, Any]
) -> CursorResult[Unpack[TupleAny]]:
    """Run one of the statements described above, parameters by name."""
    compiled = _compiled(conn.dialect, statement)
    return conn.exec_driver_sql(compiled.sql, compiled.params(params))


def slots(name: str, count: int) -> list[BindParameter[Any]]:
    """`count` parameters `name0`, `name1`...: the right side of an `IN`, see `fill`."""
    return [bindparam(f"{name}{i}") for i in range(count)]


def fill(name: str, values: Sequence[Any], count: int) -> dict[str, Any]:
    """The parameters of `slots(name, count)` for 1 to `count` values."""
    if not 0 < len(values) <= count:
        raise ValueError(f"{len(values)} values for {count} slots")
    padded = [*values, *[values[-1]] * (count - len(values))]
    return {f"{name}{i}": value for i, value in enumerate(padded)}


def pg_array(values: Sequence[Any]) -> Any:
    """A PostgreSQL array parameter: integers as an array literal ('{1,2,3}', cast by the
    statement), since psycopg's list dumper checks every element against a regular
    expression (three times as long for a batch's band keys); any other values as a list.
    The values are of one type, the first one's, or None (NULL)."""
    if values and type(values[0]) is int:
        return "{" + ",".join(map(str, values)).replace("None", "NULL") + "}"
    return list(values)


ANY_CHUNK = 500  # values per statement on SQLite, far below its limit of parameters


def any_of(
    column: ColumnElement[Any] | QueryableAttribute[Any], name: str, dialect: str
) -> ColumnElement[bool]:
    """`column` equals one of the values of the list parameter `name`: one array parameter
    on PostgreSQL (one statement, prepared once, for any number of values), an expanding
    `IN` elsewhere (SQLite runs it in the process: no round trip to save)."""
    if dialect == "postgresql":
        return column == any_(cast(bindparam(name), ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def execute_any(
    conn: Connection,
    statement: Executable,
    name: str,
    values: Sequence[Any],
    params: Mapping[str, Any] | None = None,
) -> list[Any]:
    """The rows (if it returns any) of `statement`, built with `any_of(..., name,
    dialect)`, for `values`: in one statement on PostgreSQL, `ANY_CHUNK` values a statement
    elsewhere."""
    if not values:
        return []
    if conn.dialect.name == "postgresql":
        chunks = [pg_array(values)]
    else:
        chunks = [list(values[n : n + ANY_CHUNK]) for n in range(0, len(values), ANY_CHUNK)]
    rows: list[Any] = []
    for chunk in chunks:
        result = conn.execute(statement, {**(params or {}), name: chunk})
        if result.returns_rows:
            rows += result
    return rows


@lru_cache(maxsize=32)
def _unnest_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], unique: tuple[str, ...]
) -> str:
    quote = dialect.identifier_preparer
    arrays = ", ".join(f"%s::{table.c[name].type.compile(dialect)}[]" for name in columns)
    names = ", ".join(quote.quote(name) for name in columns)
    sql = f"INSERT INTO {quote.format_table(table)} ({names}) SELECT * FROM unnest({arrays})"
    if unique:
        sql += f" ON CONFLICT ({', '.join(quote.quote(name) for name in unique)}) DO NOTHING"
    return sql


def insert_new_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    unique: Sequence[str],
) -> None:
    """On PostgreSQL, INSERT the `rows` whose `unique` key is not taken yet, in one
    statement (as `insert_rows`); the values go as they are (aware datetimes included)."""
    assert conn.dialect.name == "postgresql", "an unnested insert is PostgreSQL's"
    if rows:
        arrays = tuple(pg_array(column) for column in zip(*rows, strict=True))
        sql = _unnest_insert(conn.dialect, table, tuple(columns), tuple(unique))
        conn.exec_driver_sql(sql, arrays)


@lru_cache(maxsize=32)
def _insert(table: Table, columns: tuple[str, ...]) -> ClauseElement:
    return insert(table).values({name: bindparam(name) for name in columns})


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (values in the order of `columns`) in one statement on PostgreSQL (a
    column of values per array, unnested: an executemany there runs one statement per row,
    each parsed, planned and executed by the server), in one executemany on SQLite (in the
    process: a statement per row costs no round trip)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        insert_new_rows(conn, table, columns, rows, unique=())
        return
    compiled = _compiled(conn.dialect, _insert(table, tuple(columns)))
    if compiled.names == tuple(columns):  # positional, in the rows' order: as they are
        conn.exec_driver_sql(compiled.sql, list(rows))
    else:
        conn.exec_driver_sql(compiled.sql, [dict(zip(columns, row, strict=True)) for row in rows])
