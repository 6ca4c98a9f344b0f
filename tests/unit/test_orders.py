"""Order snapshot validation: money in whole fen, tender splits, aware times, known flags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.domain.errors import InvalidInput
from kefu.domain.orders import LineFlag, parse_order
from tests.builders import an_order


def _line(**kw: Any) -> dict[str, Any]:
    base = {
        "line_no": 1,
        "sku": "S1",
        "title": "耳机",
        "quantity": 1,
        "unit_price_fen": 1000,
        "paid_fen": 1000,
    }
    base.update(kw)
    return base


def test_a_valid_order_parses_with_utc_times_and_flags() -> None:
    order = parse_order(an_order())
    assert order.paid_at == datetime(2026, 11, 10, 2, tzinfo=UTC)
    assert order.lines[0].flags == frozenset({LineFlag.DURABLE})
    assert order.paid_total_fen == 37900


def test_naive_times_are_read_as_shanghai_wall_clock() -> None:
    order = parse_order(an_order(paid_at="2026-11-10 10:00:00", shipped_at=None, signed_at=None))
    assert order.paid_at == datetime(2026, 11, 10, 2, tzinfo=UTC)


def test_cash_defaults_to_paid_minus_points_and_coupon() -> None:
    order = parse_order(
        an_order(lines=[_line(paid_fen=1000, paid_points_fen=200, paid_coupon_fen=300)])
    )
    assert order.lines[0].paid_cash_fen == 500


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"order_no": ""}, "order_no", "required"),
        ({"order_no": "有中文"}, "order_no", "format"),
        ({"paid_at": "yesterday"}, "paid_at", "bad_time"),
        ({"signed_at": "2026-11-10T09:00:00+08:00"}, "signed_at", "before_shipped"),
        ({"lines": []}, "lines", "required"),
        ({"lines": [_line(paid_fen="12.50")]}, "lines[0].paid_fen", "not_integer"),
        ({"lines": [_line(paid_fen=12.5)]}, "lines[0].paid_fen", "type"),
        ({"lines": [_line(paid_fen=-1)]}, "lines[0].paid_fen", "negative"),
        ({"lines": [_line(paid_cash_fen=900)]}, "lines[0].paid_fen", "tender_mismatch"),
        ({"lines": [_line(flags=["gift"])]}, "lines[0].flags", "unknown_flag"),
        ({"lines": [_line(sku="")]}, "lines[0].sku", "required"),
        ({"lines": [_line(quantity=0)]}, "lines[0].quantity", "zero"),
        ({"lines": [_line(), _line()]}, "lines[1].line_no", "duplicate"),
    ],
)
def test_each_fault_names_its_field(change: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_order(an_order(**change))
    found = {(f.field, f.code) for f in err.value.fields}
    assert (field, code) in found
    assert all(f.zh and f.en for f in err.value.fields)


def test_all_faults_are_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_order({"lines": [{"paid_fen": "1.5"}]})
    fields = {f.field for f in err.value.fields}
    assert {
        "order_no",
        "shop_code",
        "buyer_ref",
        "paid_at",
        "lines[0].sku",
        "lines[0].paid_fen",
    } <= fields
