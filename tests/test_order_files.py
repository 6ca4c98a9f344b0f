"""Order files: encodings (UTF-8, BOM, GBK, GB18030), CSV row grouping, source errors, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.bootstrap import App, build_app
from kefu.cli import app_cli
from kefu.config import load_settings
from kefu.domain.errors import FieldError
from kefu.domain.orders import LineFlag
from kefu.domain.text_faults import NUL, SURROGATE
from kefu.order_files import (
    OrderFileError,
    check_order_file,
    detect_encoding,
    error_place,
    read_order_file,
)
from kefu.services import orders as order_svc
from kefu.services.orders import RawOrder, validate_orders
from tests.builders import a_user, an_order

HEADER = (
    "order_no,shop_code,buyer_ref,paid_at,line_no,sku,title,quantity,unit_price_fen,paid_fen,flags"
)


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


TWO_LINES = _csv(
    "DD0001,shop-a,buyer1,2026-11-10 10:00:00,1,A-1,无线蓝牙耳机,1,39900,39900,durable",
    "DD0001,,,,2,A-2,充电盒（白色）,1,5000,5000,",
)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("written_as", "read_as"),
    [
        ("utf-8", "utf-8-sig"),
        ("utf-8-sig", "utf-8-sig"),  # Excel's "CSV UTF-8": the BOM must not stick to order_no
        ("gbk", "gb18030"),  # Chinese Excel's plain "CSV"
        ("gb18030", "gb18030"),
    ],
)
def test_each_supported_encoding_reads_the_same_order(
    tmp_path: Path, written_as: str, read_as: str
) -> None:
    path = _write(tmp_path / "orders.csv", TWO_LINES.encode(written_as))
    assert check_order_file(path) == read_as
    [item] = list(read_order_file(path, read_as))
    assert (item.ref, item.source_errors) == ("rows 2,3", ())
    assert item.data is not None
    order = item.data
    assert order["order_no"] == "DD0001"
    assert [line["title"] for line in order["lines"]] == ["无线蓝牙耳机", "充电盒（白色）"]


def test_characters_outside_gbk_are_read_from_gb18030(tmp_path: Path) -> None:
    title = "儿童手表㐀型😀"  # CJK extension A and an emoji: four-byte GB18030, absent from GBK
    data = _csv(f"DD0002,shop-a,buyer1,2026-11-10 10:00:00,1,W-1,{title},1,100,100,")
    path = _write(tmp_path / "orders.csv", data.encode("gb18030"))
    encoding = check_order_file(path)
    assert encoding == "gb18030"
    [item] = list(read_order_file(path, encoding))
    assert item.data is not None
    assert item.data["lines"][0]["title"] == title


@pytest.mark.parametrize("character", ["耳", "充"])
def test_a_character_split_by_the_read_chunk_is_still_utf8(tmp_path: Path, character: str) -> None:
    # Detection reads 1 MiB at a time; a character cut at the boundary must not make the file
    # look like something other than UTF-8 (it would then be read as GB18030 mojibake).
    head = (HEADER + "\nDD0003,shop-a,buyer1,2026-11-10 10:00:00,1,A-1,").encode()
    pad = b"x" * ((1 << 20) - len(head) - 1)
    data = head + pad + character.encode() + b",1,100,100,\n"
    assert data[: 1 << 20].endswith(character.encode()[:1])
    assert detect_encoding(_write(tmp_path / "big.csv", data)) == "utf-8-sig"


@pytest.mark.parametrize(
    "data",
    [
        TWO_LINES.encode("utf-16"),  # Excel's "Unicode text"
        b"order_no,title\nDD0004,\xff\xfe\xfd\n",
    ],
)
def test_bytes_in_no_supported_encoding_are_refused(tmp_path: Path, data: bytes) -> None:
    with pytest.raises(OrderFileError) as err:
        check_order_file(_write(tmp_path / "orders.csv", data))
    assert err.value.code == "unreadable_encoding"
    assert err.value.status == 422
    [fault] = err.value.fields
    assert fault.field == "file"
    assert "GBK" in fault.zh
    assert "UTF-8" in fault.en


@pytest.mark.parametrize("name", ["orders.txt", "orders.xlsx", "orders", "orders.csv.bak"])
def test_only_csv_and_jsonl_files_are_read(tmp_path: Path, name: str) -> None:
    with pytest.raises(OrderFileError) as err:
        check_order_file(_write(tmp_path / name, TWO_LINES.encode()))
    assert err.value.code == "unsupported_file"
    assert ".csv" in err.value.zh
    assert ".jsonl" in err.value.en


@pytest.mark.parametrize("name", ["ORDERS.CSV", "orders.JsonL"])
def test_the_suffix_is_not_case_sensitive(tmp_path: Path, name: str) -> None:
    assert check_order_file(_write(tmp_path / name, b"")) == "utf-8-sig"


def test_rows_of_one_order_are_grouped_across_the_file(tmp_path: Path) -> None:
    data = _csv(
        "DD0005,shop-a,buyer1,2026-11-10 10:00:00,,A-1,耳机,1,100,100,",  # row 2
        "DD0006,shop-a,buyer2,2026-11-10 10:00:00,,B-1,电视,1,100,100,",  # row 3
        " DD0005 ,,,,,A-2,耳机套,,50,50,durable|virtual",  # row 4: blank cells repeat row 2's
    )
    path = _write(tmp_path / "orders.csv", data.encode())
    items = list(read_order_file(path, check_order_file(path)))
    assert [item.ref for item in items] == ["rows 2,4", "rows 3"]
    assert [item.source_errors for item in items] == [(), ()]
    order = items[0].data
    assert order is not None
    assert (order["shop_code"], order["buyer_ref"]) == ("shop-a", "buyer1")
    assert [(ln["line_no"], ln["sku"]) for ln in order["lines"]] == [(1, "A-1"), (2, "A-2")]
    good, bad = validate_orders(items)
    assert bad == []
    assert [o.lines[1].quantity for _, o in good if o.order_no == "DD0005"] == [1]


def test_rows_of_one_order_that_disagree_are_reported_on_the_later_row(tmp_path: Path) -> None:
    data = _csv(
        "DD0007,shop-a,buyer1,2026-11-10 10:00:00,1,A-1,耳机,1,100,100,",  # row 2
        "DD0008,shop-a,buyer1,2026-11-10 10:00:00,1,A-1,耳机,1,100,100,",  # row 3
        "DD0007,shop-b,buyer1,,2,A-2,耳机套,1,50,50,",  # row 4: another shop
    )
    path = _write(tmp_path / "orders.csv", data.encode())
    items = list(read_order_file(path, check_order_file(path)))
    good, bad = validate_orders(items)
    assert [ref for ref, _ in good] == ["rows 3"]
    [item] = bad
    assert item.ref == "rows 2,4"
    [fault] = item.errors
    assert (fault.field, fault.code) == ("lines[1].shop_code", "conflicting_rows")
    assert "第 2 行为“shop-a”" in fault.zh
    assert "本行为“shop-b”" in fault.zh
    assert "row 2 has 'shop-a', this row 'shop-b'" in fault.en
    assert error_place(item.ref, fault.field) == "row 4: lines[1].shop_code"


def test_a_disagreement_shows_a_nul_it_quotes(tmp_path: Path) -> None:
    data = _csv(
        "DD0010,shop-a,buyer1,2026-11-10 10:00:00,1,A-1,耳机,1,100,100,",
        "DD0010,shop-a,buyer\x001,,2,A-2,耳机套,1,50,50,",
    )
    path = _write(tmp_path / "orders.csv", data.encode())
    [item] = list(read_order_file(path, check_order_file(path)))
    [fault] = item.source_errors
    assert "本行为“buyer\\u00001”" in fault.zh
    assert "this row 'buyer\\u00001'" in fault.en


def test_a_disagreement_is_reported_with_the_order_own_faults(tmp_path: Path) -> None:
    data = _csv(
        "DD0009,shop-a,buyer1,2026-11-10 10:00:00,1,A-1,耳机,1,100,100,",
        "DD0009,shop-a,buyer9,,2,,耳机套,1.5,50,50,",
    )
    path = _write(tmp_path / "orders.csv", data.encode())
    _, bad = validate_orders(read_order_file(path, check_order_file(path)))
    [item] = bad
    assert [(f.field, f.code) for f in item.errors] == [
        ("lines[1].buyer_ref", "conflicting_rows"),
        ("lines[1].sku", "required"),
        ("lines[1].quantity", "not_integer"),
    ]


def test_jsonl_lines_that_are_no_json_object_are_reported_by_line(tmp_path: Path) -> None:
    text = '{"order_no": "J0001"}\n\n{"order_no": "J0002",\n[1, 2]\n"text"\n'
    path = _write(tmp_path / "orders.jsonl", text.encode())
    items = list(read_order_file(path, check_order_file(path)))
    assert [item.ref for item in items] == ["line 1", "line 3", "line 4", "line 5"]
    assert items[0] == RawOrder("line 1", {"order_no": "J0001"})
    for item in items[1:]:
        assert item.data is None  # nothing of the order could be read
        [fault] = item.source_errors
        assert (fault.field, fault.code) == ("line", "invalid_json")
        assert fault.zh.startswith("不是有效的 JSON 对象")
        assert fault.en.startswith("not a valid JSON object")
    _, bad = validate_orders(items[1:])
    assert [(b.ref, [e.code for e in b.errors]) for b in bad] == [
        ("line 3", ["invalid_json"]),
        ("line 4", ["invalid_json"]),
        ("line 5", ["invalid_json"]),
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_jsonl_is_read_in_its_encoding(tmp_path: Path, encoding: str) -> None:
    path = _write(
        tmp_path / "orders.jsonl", '{"order_no": "J0003", "title": "耳机"}\n'.encode(encoding)
    )
    [item] = list(read_order_file(path, check_order_file(path)))
    assert item == RawOrder("line 1", {"order_no": "J0003", "title": "耳机"})


@pytest.mark.parametrize(
    ("ref", "field", "place"),
    [
        ("rows 6,9", "lines[1].sku", "row 9: lines[1].sku"),
        ("rows 6,9", "lines[0].sku", "row 6: lines[0].sku"),
        ("rows 6", "paid_at", "row 6: paid_at"),
        ("rows 6,9", "paid_at", "rows 6,9: paid_at"),  # an order field: every row of it
        ("rows 6,9", "lines[5].sku", "rows 6,9: lines[5].sku"),
        ("line 3", "lines[0].sku", "line 3: lines[0].sku"),
    ],
)
def test_error_place_names_the_row(ref: str, field: str, place: str) -> None:
    assert error_place(ref, field) == place


def test_cli_imports_a_gbk_csv_with_chinese_titles(var_dir: Path, tmp_path: Path) -> None:
    source = _write(tmp_path / "后台导出.csv", TWO_LINES.encode("gbk"))
    result = CliRunner().invoke(app_cli, ["orders", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 0, failed 0" in result.output
    app = build_app(load_settings())
    buyer = a_user(app, "buyer1", "buyer")
    stored = order_svc.get_order(app.uow(), actor=buyer, order_no="DD0001", now=app.clock.now())
    assert [(ln.sku, ln.title) for ln in stored.order.lines] == [
        ("A-1", "无线蓝牙耳机"),
        ("A-2", "充电盒（白色）"),
    ]
    assert stored.order.lines[0].flags == frozenset({LineFlag.DURABLE})
    assert stored.order.paid_total_fen == 44900
    assert stored.order.shop_code == "shop-a"  # read back with its shop, not as ""
    app.engine.dispose()


def test_cli_refuses_a_file_in_no_supported_encoding(var_dir: Path, tmp_path: Path) -> None:
    source = _write(tmp_path / "orders.csv", TWO_LINES.encode("utf-16"))
    result = CliRunner().invoke(app_cli, ["orders", "import", str(source)])
    assert result.exit_code == 2
    assert "无法识别文件编码" in result.output
    assert not (var_dir / "kefu.db").exists()  # refused before the database was touched


def test_cli_reads_a_source_errors_key_in_a_jsonl_line_as_an_unknown_field(
    var_dir: Path, tmp_path: Path
) -> None:
    # Only the reader's own findings are source errors; a file cannot forge them by a key.
    forged = '"_source_errors": [{"field": "line", "code": "invalid_json"}]'
    lines = [
        json.dumps({**an_order("J0010"), "_source_errors": "ab"}, ensure_ascii=False),
        "{" + forged + "}",
        '{"order_no": "J0011", ' + forged + "}",
    ]
    source = _write(tmp_path / "orders.jsonl", ("\n".join(lines) + "\n").encode())
    result = CliRunner().invoke(app_cli, ["orders", "import", str(source)])
    assert result.exit_code == 1, result.output
    assert "created 1, updated 0, failed 2" in result.output
    assert "line 2: order_no: " in result.output
    assert "line 3: shop_code: " in result.output
    assert "JSON" not in result.output
    app = build_app(load_settings())
    admin = a_user(app, "admin1", "admin")
    assert order_svc.get_order(app.uow(), actor=admin, order_no="J0010", now=app.clock.now())
    app.engine.dispose()


def test_only_errors_beside_the_mapping_count_as_the_readers() -> None:
    fault = FieldError("line", "invalid_json", "假", "fake")
    inside = RawOrder("line 1", {**an_order("J0012"), "_source_errors": (fault,)})
    beside = RawOrder("line 2", an_order("J0013"), (fault,))
    good, bad = validate_orders([inside, beside])
    assert [ref for ref, _ in good] == ["line 1"]
    assert bad == [order_svc.ImportItemResult("line 2", "error", (fault,))]


@pytest.mark.parametrize(
    ("suffix", "data", "place", "fault"),
    [
        (
            ".csv",
            _csv("DD0020,shop-a,buyer1,2026-11-10 10:00:00,1,A\x001,耳机,1,100,100,"),
            "row 2: lines[0].sku",
            NUL,
        ),
        (
            ".csv",
            _csv("DD0021,shop-a,buyer\x001,2026-11-10 10:00:00,1,A-1,耳机,1,100,100,"),
            "row 2: buyer_ref",
            NUL,
        ),
        # JSON escapes (json.dumps writes ASCII): the only way either reaches a UTF-8 line.
        (
            ".jsonl",
            json.dumps(an_order("J0020", buyer_name="张\u0000三")),
            "line 1: buyer_name",
            NUL,
        ),
        (
            ".jsonl",
            json.dumps(an_order("J0021", carrier="顺丰\ud800")),
            "line 1: carrier",
            SURROGATE,
        ),
        (".jsonl", json.dumps(an_order("J\udfff22")), "line 1: order_no", SURROGATE),
    ],
)
def test_cli_refuses_text_no_column_can_hold_naming_the_field(
    cli_app: App, tmp_path: Path, suffix: str, data: str, place: str, fault: tuple[str, ...]
) -> None:
    # Only the API's route checked NUL and lone surrogates: the import crashed on PostgreSQL
    # (no NUL in text) and on both engines for a lone surrogate (no UTF-8 for it).
    source = _write(tmp_path / f"orders{suffix}", data.encode())
    result = CliRunner().invoke(app_cli, ["orders", "import", str(source)])
    assert result.exit_code == 1, result.output
    assert "created 0, updated 0, failed 1" in result.output
    code, zh, _en = fault
    assert f"{place}: {zh}" in result.output
    _, bad = validate_orders(read_order_file(source, check_order_file(source)))
    assert [e.code for e in bad[0].errors] == [code]
