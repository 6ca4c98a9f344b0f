"""Hot statements compiled once and handed straight to the SQLite driver.

SQLAlchemy spends ~60-80 µs around every execute (context, parameter processing, result
set-up); sqlite3 runs a small INSERT in ~15 µs. Intake writes about ten rows per case, so on
SQLite the statements on that path skip the execution layer: each is compiled once per dialect
by SQLAlchemy itself, and every value still goes through its column type's own bind processor,
so the stored bytes are exactly what `conn.execute(stmt, params)` writes. The statement runs on
the connection's current transaction (and savepoint). Other dialects use the ordinary path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Select, Table, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

_Compiled = tuple[str, tuple[str, ...], dict[str, Any], list[tuple[int, Any]]]


def raw_execute(conn: Connection, sql: str, params: Sequence[Any]) -> Any:
    """sqlite3's execute on the connection's transaction. Its errors come up as SQLAlchemy's
    (IntegrityError, OperationalError …), as from any other statement, so callers catch one
    kind whichever path a statement took."""
    raw: Any = conn.connection.driver_connection
    try:
        return raw.execute(sql, params)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error) from exc


def raw_executemany(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """sqlite3's executemany, its errors wrapped like raw_execute's."""
    raw: Any = conn.connection.driver_connection
    try:
        raw.executemany(sql, rows)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, rows, exc, sqlite3.Error) from exc


class Prepared:
    """One statement: SQL text, bind order and bind processors, per dialect."""

    def __init__(self, stmt: Executable, column_keys: Sequence[str] | None = None) -> None:
        self.stmt = stmt
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._compiled: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()
        self._result_shape: WeakKeyDictionary[
            Dialect, tuple[tuple[str, ...], list[tuple[int, Any]]]
        ] = WeakKeyDictionary()

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is not None:
            return found
        clause = cast(ClauseElement, self.stmt)
        compiled = cast(SQLCompiler, clause.compile(dialect=dialect, column_keys=self.column_keys))
        names = tuple(compiled.positiontup or ())
        procs = []
        for i, name in enumerate(names):
            proc = compiled.binds[name].type._cached_bind_processor(dialect)
            if proc is not None:
                procs.append((i, proc))
        made = self._compiled[dialect] = (str(compiled), names, dict(compiled.params), procs)
        return made

    def _driver_params(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        sql, names, defaults, procs = self._for(dialect)
        values = [params[n] if n in params else defaults[n] for n in names]
        for i, proc in procs:
            if values[i] is not None:
                values[i] = proc(values[i])
        return sql, values

    def run(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute; on SQLite return the driver's cursor, elsewhere SQLAlchemy's result."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.stmt, dict(params))
        sql, values = self._driver_params(conn.dialect, params)
        return raw_execute(conn, sql, values)

    def mappings(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts, each value through its type's result
        processor (datetimes come back aware, JSON parsed), as SQLAlchemy would return them."""
        if conn.dialect.name != "sqlite":
            return [dict(r) for r in conn.execute(self.stmt, dict(params)).mappings()]
        keys, procs = self._results(conn.dialect)
        out = []
        for raw in self.run(conn, params):
            values = list(raw)
            for i, proc in procs:
                if values[i] is not None:
                    values[i] = proc(values[i])
            out.append(dict(zip(keys, values, strict=True)))
        return out

    def _results(self, dialect: Dialect) -> tuple[tuple[str, ...], list[tuple[int, Any]]]:
        found = self._result_shape.get(dialect)
        if found is None:
            columns = cast(Select[Any], self.stmt).selected_columns
            procs = []
            for i, col in enumerate(columns):
                proc = col.type._cached_result_processor(dialect, None)
                if proc is not None:
                    procs.append((i, proc))
            found = self._result_shape[dialect] = (tuple(str(c.key) for c in columns), procs)
        return found

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """Execute and return the first column of the first row."""
        result = self.run(conn, params)
        if conn.dialect.name != "sqlite":
            return result.scalar_one()
        row = result.fetchone()
        assert row is not None
        return row[0]


class RowInsert:
    """INSERT of one row with a fixed set of columns; optionally hands back the new id."""

    def __init__(self, table: Table, columns: Sequence[str], *, returning_id: bool = False):
        self.columns = tuple(columns)
        self._keys = frozenset(self.columns)
        self.returning_id = returning_id
        self._plain = Prepared(insert(table), self.columns)
        self._returning = insert(table).returning(table.c.id) if returning_id else None

    def __call__(self, conn: Connection, row: Mapping[str, Any]) -> int | None:
        """Insert the row; a row with other columns than declared takes the ordinary path."""
        if conn.dialect.name != "sqlite" or row.keys() != self._keys:
            if self._returning is not None:
                return int(conn.execute(self._returning, dict(row)).scalar_one())
            conn.execute(self._plain.stmt, dict(row))
            return None
        cursor = self._plain.run(conn, row)
        return int(cursor.lastrowid) if self.returning_id else None

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert several rows (no ids handed back)."""
        if not rows:
            return
        if conn.dialect.name != "sqlite" or any(r.keys() != self._keys for r in rows):
            conn.execute(self._plain.stmt, [dict(r) for r in rows])
            return
        sql, names, defaults, procs = self._plain._for(conn.dialect)
        # A batch's rows usually share their instants (the sweep's `now`): convert each once.
        seen: dict[tuple[int, Any], Any] = {}
        params = []
        for row in rows:
            values = [row[n] if n in row else defaults[n] for n in names]
            for i, proc in procs:
                value = values[i]
                if value is None:
                    continue
                if isinstance(value, datetime):
                    done = seen.get((i, value))
                    if done is None:
                        done = seen[(i, value)] = proc(value)
                    values[i] = done
                else:
                    values[i] = proc(value)
            params.append(values)
        raw_executemany(conn, sql, params)
