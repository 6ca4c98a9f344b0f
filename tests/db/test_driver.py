"""The driver path writes and reads exactly what SQLAlchemy's own execution would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from kefu.bootstrap import App
from kefu.db.driver import Prepared, RowInsert
from kefu.db.schema import outbox

_COLUMNS = ("topic", "case_id", "payload", "created_at", "available_at", "attempts")
_ROW = {
    "topic": "案件已受理",
    "case_id": None,
    "payload": {"text": "退款 ¥12.30", "n": [1, 2], "ok": True},
    "created_at": datetime(2026, 11, 24, 2, 0, 0, 123456, tzinfo=UTC),
    "available_at": datetime(2026, 11, 24, 2, 0, 1, tzinfo=UTC),
    "attempts": 0,
}
_BY_TOPIC = select(outbox).where(outbox.c.topic == bindparam("b_topic")).order_by(outbox.c.id)


def test_a_row_inserted_through_the_driver_reads_back_like_one_inserted_by_sqlalchemy(
    app: App,
) -> None:
    with app.uow() as uow:
        new_id = RowInsert(outbox, _COLUMNS, returning_id=True)(uow.conn, _ROW)
        uow.conn.execute(insert(outbox), dict(_ROW))
        uow.commit()
    with app.reader() as uow:
        ours, theirs = uow.conn.execute(_BY_TOPIC, {"b_topic": _ROW["topic"]}).mappings().all()
        fast = Prepared(_BY_TOPIC).mappings(uow.conn, {"b_topic": _ROW["topic"]})
    assert ours["id"] == new_id
    assert {k: ours[k] for k in _COLUMNS} == {k: theirs[k] for k in _COLUMNS} == _ROW
    assert fast == [dict(ours), dict(theirs)]
    assert fast[0]["created_at"].tzinfo is not None


def test_many_rows_and_a_scalar_through_the_driver(app: App) -> None:
    rows = [{**_ROW, "topic": f"t{i}", "attempts": i} for i in range(3)]
    count = Prepared(select(outbox.c.attempts).where(outbox.c.topic == bindparam("b_topic")))
    with app.uow() as uow:
        RowInsert(outbox, _COLUMNS).many(uow.conn, rows)
        assert count.scalar(uow.conn, {"b_topic": "t2"}) == 2
        uow.commit()


def test_a_row_with_other_columns_takes_the_ordinary_path(app: App) -> None:
    partial = {k: v for k, v in _ROW.items() if k != "attempts"}  # server default applies
    with app.uow() as uow:
        RowInsert(outbox, _COLUMNS)(uow.conn, partial)
        got = Prepared(_BY_TOPIC).mappings(uow.conn, {"b_topic": _ROW["topic"]})
    assert got[0]["attempts"] == 0


def test_a_refused_row_on_the_driver_path_raises_sqlalchemys_error_like_any_other(
    app: App,
) -> None:
    """Callers catch IntegrityError whichever path a statement took (an Idempotency-Key race
    is answered by catching SQLAlchemy's IntegrityError)."""
    insert_one = RowInsert(outbox, ("id", *_COLUMNS), returning_id=True)
    with app.uow() as uow:
        new_id = RowInsert(outbox, _COLUMNS, returning_id=True)(uow.conn, _ROW)
        # Each in a savepoint: on PostgreSQL a failed statement ends the transaction's use.
        with pytest.raises(IntegrityError), uow.conn.begin_nested():
            insert_one(uow.conn, {**_ROW, "id": new_id})
        with pytest.raises(IntegrityError), uow.conn.begin_nested():
            RowInsert(outbox, ("id", *_COLUMNS)).many(uow.conn, [{**_ROW, "id": new_id}])
