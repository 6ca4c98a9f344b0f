"""The CLI in a subprocess: orders import, demo, worker --once, serve on a fresh var dir."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kefu.domain.workflow import LIFECYCLES
from tests.e2e.helpers import Server, call, run_cli

pytestmark = pytest.mark.e2e

COLUMNS = [
    "order_no", "shop_code", "buyer_ref", "buyer_name", "buyer_phone", "buyer_address",
    "paid_at", "shipped_at", "signed_at", "carrier", "tracking_no", "line_no", "sku", "title",
    "quantity", "unit_price_fen", "paid_fen", "paid_cash_fen", "paid_points_fen",
    "paid_coupon_fen", "flags",
]  # fmt: skip
PASSWORD = "e2e-pass-2026"


def csv_row(order_no: str, line_no: int, **over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_no": order_no, "shop_code": "shop-a", "buyer_ref": "buyer-csv",
        "buyer_name": "刘洋", "buyer_phone": "13812345678", "buyer_address": "北京市朝阳区 1201",
        "paid_at": "2026-11-10T10:00:00+08:00", "shipped_at": "2026-11-11T09:00:00+08:00",
        "signed_at": "2026-11-13T15:30:00+08:00", "carrier": "顺丰速运", "tracking_no": "SF100",
        "line_no": line_no, "sku": f"A-{line_no}", "title": "无线蓝牙耳机", "quantity": 1,
        "unit_price_fen": 39900, "paid_fen": 37900, "paid_cash_fen": 36900,
        "paid_points_fen": 0, "paid_coupon_fen": 1000, "flags": "durable",
    }  # fmt: skip
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def db(var_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(var_dir / "kefu.db")


def orders_in_db(var_dir: Path) -> dict[str, list[tuple[int, str, int]]]:
    """order_no -> [(line_no, sku, paid_fen)] straight from the SQLite file."""
    conn = db(var_dir)
    try:
        found: dict[str, list[tuple[int, str, int]]] = {
            no: [] for (no,) in conn.execute("SELECT order_no FROM orders")
        }
        for no, line_no, sku, paid in conn.execute(
            "SELECT o.order_no, l.line_no, l.sku, l.paid_fen FROM order_lines l "
            "JOIN orders o ON o.id = l.order_id ORDER BY o.order_no, l.line_no"
        ):
            found[no].append((line_no, sku, paid))
        return found
    finally:
        conn.close()


def count(var_dir: Path, table: str) -> int:
    conn = db(var_dir)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def report_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if line.strip()]


def test_orders_import_csv_reports_bad_rows_and_writes_only_good_orders(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    path = write_csv(tmp_path / "orders.csv", [
        csv_row("GOOD0001", 1),                                                       # row 2
        csv_row("GOOD0001", 2, sku="A-2", unit_price_fen=5000, paid_fen=5000,
                paid_cash_fen=5000, paid_coupon_fen=0, flags=""),                     # row 3
        csv_row("BADMONEY1", 1, paid_fen="12.50", paid_cash_fen="", paid_coupon_fen=""),  # row 4
        csv_row("BADTENDER", 1, paid_cash_fen=30000),                                 # row 5
        csv_row("BADSKU001", 1),                                                      # row 6
        csv_row("BADSKU001", 2, sku=""),                                              # row 7
        csv_row("BADTIME01", 1, paid_at="yesterday 10:00"),                           # row 8
        csv_row("GOOD0002", 1, buyer_ref="buyer-two", paid_at="2026-11-12 08:00:00",
                shipped_at="", signed_at="", paid_cash_fen="", paid_coupon_fen="",
                paid_points_fen="", paid_fen=39900),                                  # row 9
    ])  # fmt: skip

    first = run_cli(var_dir, "orders", "import", str(path))
    assert first.returncode == 1, first.stdout + first.stderr
    lines = report_lines(first.stdout)
    assert "created 2, updated 0, failed 4" in first.stdout
    assert (
        "row 4: lines[0].paid_fen: 金额必须是整数分，不能有小数 / "
        "money must be whole fen, no decimals"
    ) in lines
    assert (
        "row 5: lines[0].paid_fen: "
        "现金 30000 + 积分 0 + 优惠券 1000 之和必须等于实付 37900（分） / "
        "cash 30000 + points 0 + coupon 1000 must equal paid 37900 fen"
    ) in lines
    assert "row 7: lines[1].sku: 必填 / is required" in lines  # the bad row itself
    assert any(
        line.startswith("row 8: paid_at: 时间格式无效") and "/ invalid time; use ISO 8601" in line
        for line in lines
    ), lines
    errors = [line for line in lines if re.match(r"rows? \d", line)]
    assert len(errors) == 4, errors  # one line per bad field, none for the good orders

    stored = orders_in_db(var_dir)
    assert stored == {
        "GOOD0001": [(1, "A-1", 37900), (2, "A-2", 5000)],
        "GOOD0002": [(1, "A-1", 39900)],
    }
    # The good first line of BADSKU001 must not have been written either.
    assert count(var_dir, "order_lines") == 3
    conn = db(var_dir)
    try:
        paid_at = conn.execute("SELECT paid_at FROM orders WHERE order_no = 'GOOD0002'").fetchone()
    finally:
        conn.close()
    assert str(paid_at[0]).startswith("2026-11-12 00:00:00")  # naive = Asia/Shanghai wall clock

    again = run_cli(var_dir, "orders", "import", str(path))
    assert again.returncode == 1
    assert "created 0, updated 2, failed 4" in again.stdout
    assert orders_in_db(var_dir) == stored
    assert count(var_dir, "order_lines") == 3


def test_orders_import_jsonl_reports_malformed_lines(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    good = {
        "order_no": "JSONL0001", "shop_code": "shop-b", "buyer_ref": "buyer-jsonl",
        "paid_at": "2026-11-10T10:00:00+08:00",
        "lines": [{"sku": "B-1", "title": "65 英寸智能电视", "quantity": 1,
                   "unit_price_fen": 459900, "paid_fen": 459900, "flags": ["durable"]}],
    }  # fmt: skip
    half_bad = {
        **good, "order_no": "JSONL0003",
        "lines": [good["lines"][0], {"sku": "B-2", "title": "遥控器", "unit_price_fen": 12.5,
                                     "paid_fen": 12.5}],
    }  # fmt: skip
    text = "\n".join([
        json.dumps(good, ensure_ascii=False),                          # line 1
        '{"order_no": "JSONL0002", "shop_code": "shop-b",',            # line 2: cut off
        "",                                                            # line 3: blank, skipped
        "[1, 2, 3]",                                                   # line 4: not an object
        json.dumps(half_bad, ensure_ascii=False),                      # line 5
        json.dumps({**good, "order_no": "JSONL0004"}),                 # line 6
    ]) + "\n"  # fmt: skip
    path = tmp_path / "orders.jsonl"
    path.write_text(text, encoding="utf-8")

    result = run_cli(var_dir, "orders", "import", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = report_lines(result.stdout)
    assert "created 2, updated 0, failed 3" in result.stdout
    not_json = "line: 不是有效的 JSON 对象"
    assert any(
        line.startswith(f"line 2: {not_json}") and "/ not a valid JSON object" in line
        for line in lines
    ), lines
    assert any(line.startswith(f"line 4: {not_json}") for line in lines), lines
    not_fen = "必须是整数（单位：分） / must be an integer number of fen"
    assert f"line 5: lines[1].unit_price_fen: {not_fen}" in lines
    assert f"line 5: lines[1].paid_fen: {not_fen}" in lines
    assert not any(line.startswith(("line 1:", "line 3:", "line 6:")) for line in lines), lines
    assert orders_in_db(var_dir) == {
        "JSONL0001": [(1, "B-1", 459900)],
        "JSONL0004": [(1, "B-1", 459900)],
    }

    again = run_cli(var_dir, "orders", "import", str(path))
    assert "created 0, updated 2, failed 3" in again.stdout
    assert count(var_dir, "orders") == 2


def test_orders_import_csv_interleaved_rows_of_one_order(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    path = write_csv(tmp_path / "interleaved.csv", [
        csv_row("SPLITBAD1", 1),                                    # row 2
        csv_row("SPLITOK01", 1),                                    # row 3
        csv_row("OTHER0001", 1),                                    # row 4
        csv_row("SPLITBAD1", 2, sku=""),                            # row 5: bad
        csv_row("SPLITOK01", 2, sku="A-2"),                         # row 6
    ])  # fmt: skip
    result = run_cli(var_dir, "orders", "import", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "row 5" in result.stdout
    stored = orders_in_db(var_dir)
    assert "SPLITBAD1" not in stored, f"part of a failed order was written: {stored}"
    # An all-good order split over non-adjacent rows is either whole or reported, never cut.
    assert stored.get("SPLITOK01") in (None, [(1, "A-1", 37900), (2, "A-2", 37900)]), stored
    assert stored["OTHER0001"] == [(1, "A-1", 37900)]


def test_demo_twice_adds_nothing_the_second_time(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = run_cli(var_dir, "demo", "--no-serve")
    assert first.returncode == 0, first.stdout + first.stderr
    match = re.search(r"demo data loaded: (\d+) orders, (\d+) cases", first.stdout)
    assert match, first.stdout
    tables = ["users", "shops", "orders", "order_lines", "cases", "timeline", "outbox"]
    before = {t: count(var_dir, t) for t in tables}
    assert before["orders"] == int(match.group(1)) > 0
    assert before["cases"] == int(match.group(2)) > 0
    assert "buyer1" in first.stdout
    # Cases in every state of every lifecycle (issue 2).
    every = {s.value for lifecycle in LIFECYCLES.values() for s in lifecycle.statuses}
    conn = db(var_dir)
    try:
        shown = {row[0] for row in conn.execute("SELECT DISTINCT status FROM cases")}
    finally:
        conn.close()
    assert shown == every, f"missing: {sorted(every - shown)}"

    second = run_cli(var_dir, "demo", "--no-serve")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "demo data already present" in second.stdout
    assert {t: count(var_dir, t) for t in tables} == before


def _notifications(var_dir: Path) -> list[tuple[str, str]]:
    conn = db(var_dir)
    try:
        return sorted(conn.execute(
            "SELECT u.username, n.title FROM notifications n JOIN users u ON u.id = n.user_id"
        ).fetchall())  # fmt: skip
    finally:
        conn.close()


def _token(result: Any) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"\bkf_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])", result.stdout)
    assert found, result.stdout
    return found.group(0)


def test_worker_once_delivers_notifications(
    tmp_path: Path, server_factory: Callable[..., Server]
) -> None:
    var_dir = tmp_path / "var"
    assert run_cli(var_dir, "db", "upgrade").returncode == 0
    buyer = _token(run_cli(var_dir, "users", "create", "wbuyer", "--role", "buyer",
                           "--password", PASSWORD, "--token"))  # fmt: skip
    agent = _token(run_cli(var_dir, "users", "create", "wagent", "--role", "agent", "--team",
                           "cs", "--password", PASSWORD, "--token"))  # fmt: skip
    path = write_csv(tmp_path / "o.csv", [csv_row("WORK0001", 1, buyer_ref="wbuyer")])
    imported = run_cli(var_dir, "orders", "import", str(path))
    assert imported.returncode == 0, imported.stdout + imported.stderr

    server = server_factory(var_dir, worker=False)  # nothing relays but `worker --once`
    status, case = call(server.port, "POST", "/api/v1/cases", token=buyer, body={
        "kind": "complaint", "subject": "耳机右耳没有声音", "order_no": "WORK0001",
        "description": "11月13日签收，使用两天后右耳完全没有声音。", "contact_phone": "13812345678",
    })  # fmt: skip
    assert status == 201, case
    number = case["number"]
    status, body = call(server.port, "POST", f"/api/v1/cases/{number}/actions/start_screening",
                        token=agent, body={"version": case["version"]})  # fmt: skip
    assert status == 200, body
    assert _notifications(var_dir) == []
    assert count(var_dir, "outbox") == 2

    once = run_cli(var_dir, "worker", "--once")
    assert once.returncode == 0, once.stdout + once.stderr
    assert "delivered 2 outbox rows" in once.stdout
    notes = _notifications(var_dir)
    assert [u for u, _ in notes] == ["wagent", "wbuyer"], notes  # nobody hears of their own act
    assert notes[0][1].startswith(f"您的投诉已提交：{number}")  # filed -> the case's team
    assert notes[1][1] == f"案件 {number} 状态更新：审核中 / Case {number} is now screening"
    status, mine = call(server.port, "GET", "/api/v1/notifications", token=buyer)
    assert status == 200
    assert [n["title"] for n in mine["items"]] == [notes[1][1]]

    rerun = run_cli(var_dir, "worker", "--once")
    assert "delivered 0 outbox rows" in rerun.stdout
    assert _notifications(var_dir) == notes


def test_serve_on_fresh_var_dir_has_no_data(
    tmp_path: Path, server_factory: Callable[..., Server]
) -> None:
    var_dir = tmp_path / "fresh"
    server = server_factory(var_dir)
    status, health = call(server.port, "GET", "/healthz")
    assert status == 200
    assert health["database"] == "sqlite"
    assert count(var_dir, "cases") == 0
    assert count(var_dir, "users") == 0
    assert count(var_dir, "orders") == 0
    status, _ = call(server.port, "POST", "/api/v1/auth/token",
                     body={"username": "buyer1", "password": "kefu-demo-2026"})  # fmt: skip
    assert status == 401
    status, _ = call(server.port, "GET", "/api/v1/cases")
    assert status == 401
