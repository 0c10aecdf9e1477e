"""Plain multi-row INSERTs of integer and text columns, handed to the driver as they are.

SQLAlchemy's executemany processes every row's parameters in Python (a few microseconds a
row). An article brings about 55 band and block rows, written under the store's write lock;
their columns need no type conversion, so the rows go straight to the driver's executemany.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect


@lru_cache(maxsize=32)
def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, bool]:
    """The INSERT in the driver's own parameter style, and whether it is positional."""
    statement = insert(table).values({name: bindparam(name) for name in columns})
    compiled = statement.compile(dialect=dialect)
    if compiled.positional:
        assert compiled.positiontup == list(columns), "unexpected parameter order"
    return compiled.string, compiled.positional


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT `rows` (values in the order of `columns`) in one executemany."""
    if not rows:
        return
    sql, positional = _insert_sql(conn.dialect, table, tuple(columns))
    if positional:
        conn.exec_driver_sql(sql, list(rows))
    else:
        conn.exec_driver_sql(sql, [dict(zip(columns, row, strict=True)) for row in rows])
