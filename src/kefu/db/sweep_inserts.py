"""The sweep's bulk inserts of pre-rendered rows: one driver-level executemany per table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, Table
from sqlalchemy.engine import Connection, Dialect

from kefu.db.driver import raw_executemany


class RenderedInsert:
    """One table's executemany of pre-rendered rows: tuples in `columns` order whose JSON
    columns already hold their JSON text (what the JSON type would store) — both engines at
    the driver (PostgreSQL casts the text to json). The other values go through their
    column type's bind processor, a datetime repeated across the rows converted once."""

    def __init__(self, table: Table, columns: tuple[str, ...]) -> None:
        self.table = table
        self.columns = columns
        self.json = frozenset(i for i, k in enumerate(columns) if isinstance(table.c[k].type, JSON))
        self._compiled: WeakKeyDictionary[Dialect, tuple[str, list[tuple[int, Any]]]] = (
            WeakKeyDictionary()
        )

    def _for(self, dialect: Dialect) -> tuple[str, list[tuple[int, Any]]]:
        found = self._compiled.get(dialect)
        if found is None:
            mark = "?" if dialect.name == "sqlite" else "%s"
            marks = [
                f"CAST({mark} AS JSON)" if i in self.json and dialect.name != "sqlite" else mark
                for i in range(len(self.columns))
            ]
            sql = (
                f"INSERT INTO {self.table.name} ({', '.join(self.columns)})"
                f" VALUES ({', '.join(marks)})"
            )
            procs = [
                (i, self.table.c[k].type._cached_bind_processor(dialect))
                for i, k in enumerate(self.columns)
                if i not in self.json
            ]
            found = self._compiled[dialect] = (sql, [(i, p) for i, p in procs if p is not None])
        return found

    def __call__(self, conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql, active = self._for(conn.dialect)
        if not active:
            _executemany(conn, sql, list(rows))
            return
        if len(rows) < 16:  # a filing's few clocks: row by row costs less than transposing
            _executemany(conn, sql, [_processed(row, active) for row in rows])
            return
        columns = list(zip(*rows, strict=True))  # column-wise: the processors run per column
        for i, proc in active:
            column = columns[i]
            first = column[0]
            if isinstance(first, datetime) and all(v is first for v in column):
                columns[i] = (proc(first),) * len(column)  # the batch's `now`: converted once
            else:
                columns[i] = tuple(None if v is None else proc(v) for v in column)
        params = list(zip(*columns, strict=True))
        _executemany(conn, sql, params)


def _executemany(conn: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    # SQLite: straight to sqlite3 (SQLAlchemy's execution layer costs more than a filing's
    # three clock rows); PostgreSQL through exec_driver_sql, which adapts the parameters.
    if conn.dialect.name == "sqlite":
        raw_executemany(conn, sql, params)
    else:
        conn.exec_driver_sql(sql, params)


def _processed(row: tuple[Any, ...], active: list[tuple[int, Any]]) -> tuple[Any, ...]:
    values = list(row)
    for i, proc in active:
        value = values[i]
        if value is not None:
            values[i] = proc(value)
    return tuple(values)
