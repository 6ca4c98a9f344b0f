"""Order files for `kefu orders import`: .csv or .jsonl, UTF-8 or GB18030, rows grouped by order."""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kefu.domain.errors import DomainError, FieldError
from kefu.domain.text_faults import showable
from kefu.services.orders import RawOrder

SUFFIXES = (".csv", ".jsonl")

ORDER_COLUMNS = (
    "order_no",
    "shop_code",
    "buyer_ref",
    "buyer_name",
    "buyer_phone",
    "buyer_address",
    "paid_at",
    "shipped_at",
    "signed_at",
    "carrier",
    "tracking_no",
)


class OrderFileError(DomainError):
    """The file as a whole cannot be read: wrong kind, or bytes in no supported encoding."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code, zh, en, (FieldError("file", code, zh, en),), {}, 422)


def check_order_file(path: Path) -> str:
    """The encoding to read PATH with, or raise OrderFileError (kind and bytes are checked)."""
    if path.suffix.lower() not in SUFFIXES:
        raise OrderFileError(
            "unsupported_file",
            f"不支持的文件类型“{path.suffix or '（无扩展名）'}”：只能导入 .csv 或 .jsonl 文件",
            f"unsupported file type '{path.suffix or '(none)'}': import a .csv or .jsonl file",
        )
    return detect_encoding(path)


def detect_encoding(path: Path) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK/GB2312 from Chinese Excel)."""
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(path, encoding):
            return encoding
    raise OrderFileError(
        "unreadable_encoding",
        "无法识别文件编码：请另存为 UTF-8 或 GBK/GB18030 编码的文件",
        "cannot decode the file: save it as UTF-8 or GBK/GB18030",
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_order_file(path: Path, encoding: str) -> Iterator[RawOrder]:
    """Yield each order of a .jsonl (an order a line) or .csv (a line item a row) file."""
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_orders(path, encoding)
    else:
        yield from _csv_orders(path, encoding)


def _not_json(ref: str, reason: str) -> RawOrder:
    fault = FieldError(
        "line",
        "invalid_json",
        f"不是有效的 JSON 对象：{reason}",
        f"not a valid JSON object: {reason}",
    )
    return RawOrder(ref, None, (fault,))


def _jsonl_orders(path: Path, encoding: str) -> Iterator[RawOrder]:
    with path.open(encoding=encoding) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield _not_json(f"line {n}", str(exc))
                continue
            if isinstance(item, dict):
                yield RawOrder(f"line {n}", item)
            else:
                yield _not_json(f"line {n}", "object")


def _cell(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return value.strip() if isinstance(value, str) else ""


def _csv_orders(path: Path, encoding: str) -> Iterator[RawOrder]:
    # An order's rows are grouped by number across the whole file (exports do not always keep
    # them together); each line remembers its CSV row so errors can name it. Order columns must
    # agree across an order's rows: a blank cell repeats the order's value, a different one is
    # reported on its row and none of that order is imported.
    orders: dict[str, dict[str, Any]] = {}
    rows: dict[str, list[int]] = {}
    faults: dict[str, list[FieldError]] = {}
    first_row: dict[tuple[str, str], int] = {}
    with path.open(encoding=encoding, newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), 2):
            order_no = _cell(row, "order_no") or f"(row {n})"
            current = orders.get(order_no)
            if current is None:
                current = {k: _cell(row, k) for k in ORDER_COLUMNS}
                first_row.update({(order_no, k): n for k in ORDER_COLUMNS if current[k]})
                current["lines"] = []
                orders[order_no] = current
                rows[order_no] = []
                faults[order_no] = []
            index = len(current["lines"])
            for key in ORDER_COLUMNS[1:]:
                value = _cell(row, key)
                if not value:
                    continue
                if not current[key]:
                    current[key] = value
                    first_row[(order_no, key)] = n
                elif value != current[key]:
                    seen = first_row[(order_no, key)]
                    was, now = showable(current[key]), showable(value)  # a NUL shows as \u0000
                    faults[order_no].append(
                        FieldError(
                            f"lines[{index}].{key}",
                            "conflicting_rows",
                            f"同一订单的各行 {key} 不一致：第 {seen} 行为“{was}”，本行为“{now}”",
                            f"rows of one order disagree on {key}: row {seen} has "
                            f"'{was}', this row '{now}'",
                        )
                    )
            rows[order_no].append(n)
            current["lines"].append(
                {
                    "line_no": row.get("line_no") or index + 1,
                    "sku": row.get("sku", ""),
                    "title": row.get("title", ""),
                    "quantity": row.get("quantity", ""),
                    "unit_price_fen": row.get("unit_price_fen"),
                    "paid_fen": row.get("paid_fen"),
                    "paid_cash_fen": row.get("paid_cash_fen") or None,
                    "paid_points_fen": row.get("paid_points_fen") or None,
                    "paid_coupon_fen": row.get("paid_coupon_fen") or None,
                    "flags": row.get("flags", ""),
                }
            )
    for order_no, order in orders.items():
        ref = "rows " + ",".join(str(r) for r in rows[order_no])
        yield RawOrder(ref, order, tuple(faults[order_no]))


def error_place(ref: str, field: str) -> str:
    """'rows 6,9' + 'lines[1].sku' -> 'row 9: lines[1].sku' so the report names the row."""
    match = re.match(r"lines\[(\d+)\]", field)
    numbers = ref[5:].split(",") if ref.startswith("rows ") else []
    if len(numbers) == 1:
        return f"row {numbers[0]}: {field}"
    if match:
        index = int(match.group(1))
        if index < len(numbers):
            return f"row {numbers[index]}: {field}"
    return f"{ref}: {field}"
