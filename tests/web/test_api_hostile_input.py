"""Hostile input found by fuzzing: each rejection is problem+json naming the field, never a 500."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import an_order
from tests.web.bodies import FILING

# Past the database's 64-bit integers (and, for versions, past its 32-bit ones).
HUGE = 2**70
PAST_INT32 = 2**31


def _rejects(r: Any, field: str, status: int = 422) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["message_zh"]
    assert body["message_en"]
    assert field in {f["field"] for f in body["fields"]}, body
    return body


def _a_case(client: TestClient, headers: dict[str, dict[str, str]]) -> str:
    r = client.post("/api/v1/cases", headers=headers["buyer"], json=FILING)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


@pytest.mark.parametrize("big", [HUGE, -HUGE])
def test_ids_and_cursors_past_64_bits_name_the_parameter(
    client: TestClient, headers: dict[str, dict[str, str]], big: int
) -> None:
    number = _a_case(client, headers)
    h = headers["admin"]
    _rejects(client.get(f"/api/v1/cases/{number}/timeline?after={big}", headers=h), "after")
    _rejects(client.get(f"/api/v1/cases/{number}/evidence/{big}", headers=h), "attachment_id")
    _rejects(client.get(f"/api/v1/chats/{big}", headers=h), "session_id")
    _rejects(client.post(f"/api/v1/chats/{big}/join", headers=h), "session_id")
    _rejects(client.post(f"/api/v1/chats/{big}/close", headers=h), "session_id")
    _rejects(
        client.post(f"/api/v1/chats/{big}/messages", headers=h, json={"body": "你好"}),
        "session_id",
    )
    _rejects(client.post(f"/api/v1/chats/{big}/case", headers=h, json={}), "session_id")
    _rejects(client.delete(f"/api/v1/sla/calendar-overrides/{big}", headers=h), "override_id")
    _rejects(
        client.post(f"/api/v1/buyer-flags/{big}/review", headers=h, json={"decision": "cleared"}),
        "flag_id",
    )
    _rejects(client.get(f"/api/v1/classification/overrides?after={big}", headers=h), "after")
    _rejects(
        client.post(
            f"/api/v1/sla/cases/{number}/review-requests",
            headers=headers["buyer"],
            json={"decision_id": big},
        ),
        "decision_id",
    )


def test_versions_past_32_bits_name_the_field(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    number = _a_case(client, headers)
    h = headers["admin"]
    for version in (PAST_INT32, HUGE):
        _rejects(
            client.post(f"/api/v1/cases/{number}/assign", headers=h, json={"version": version}),
            "version",
        )
        _rejects(
            client.post(
                f"/api/v1/cases/{number}/actions/start_screening",
                headers=h,
                json={"version": version},
            ),
            "version",
        )
        _rejects(
            client.post(
                f"/api/v1/cases/{number}/category",
                headers=h,
                json={"version": version, "category": "其他"},
            ),
            "version",
        )
        _rejects(
            client.post(f"/api/v1/sla/policies/complaint/versions/{version}/publish", headers=h),
            "version",
        )
        body = _rejects(
            client.get(
                f"/api/v1/sla/preview?kind=complaint&policy_id=complaint&version={version}",
                headers=h,
            ),
            "version",
        )
        assert body["fields"][0]["message_en"] == "is too large"


def test_a_chat_socket_with_a_huge_cursor_is_answered_with_the_field(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    chat_id = client.post("/api/v1/chats", headers=headers["buyer"], json={"topic": "耳机"}).json()[
        "id"
    ]
    with client.websocket_connect(
        f"/api/v1/chats/{chat_id}/ws?after={HUGE}", headers=headers["buyer"]
    ) as ws:
        frame = ws.receive_json()
    assert frame["type"] == "error"
    assert frame["fields"][0]["field"] == "after"


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nested past the JSON parser's recursion limit
        b'{"kind": "complaint", "subject": "\xff\xfe"}',  # not UTF-8
    ],
)
def test_a_body_that_cannot_be_parsed_names_the_body(
    client: TestClient, headers: dict[str, dict[str, str]], raw: bytes
) -> None:
    h = {**headers["buyer"], "Content-Type": "application/json"}
    body = _rejects(client.post("/api/v1/cases", headers=h, content=raw), "body", status=400)
    assert body["code"] == "unparsable_body"


def test_broken_multipart_names_the_body(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    number = _a_case(client, headers)
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=x"):
        h = {**headers["buyer"], "Content-Type": content_type}
        r = client.post(f"/api/v1/cases/{number}/evidence", headers=h, content=b"garbage")
        _rejects(r, "body", status=400)


def test_json_syntax_errors_name_the_body_not_a_character_offset(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    h = {**headers["buyer"], "Content-Type": "application/json"}
    body = _rejects(client.post("/api/v1/cases", headers=h, content=b'{"kind": '), "body")
    assert body["fields"][0]["code"] == "json_invalid"
    assert "character 9" in body["fields"][0]["message_en"]


def test_nul_characters_are_refused_naming_the_field_on_every_engine(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    # PostgreSQL text cannot hold U+0000 (it answered 500), SQLite stored it: now both refuse.
    h = headers["admin"]
    json_h = {**h, "Content-Type": "application/json"}
    filing = {**FILING, "subject": "屏幕\x00坏点"}
    body = _rejects(client.post("/api/v1/cases", headers=json_h, json=filing), "subject")
    assert body["fields"][0]["code"] == "nul_character"
    _rejects(client.get("/api/v1/cases/KF%00", headers=h), "number")
    _rejects(client.get("/api/v1/cases?status=a%00b", headers=h), "status")
    _rejects(client.get("/api/v1/orders/DD%000001", headers=h), "order_no")
    _rejects(
        client.post("/api/v1/chats", headers=headers["buyer"], json={"topic": "a\x00"}), "topic"
    )
    _rejects(
        client.post("/api/v1/auth/token", json={"username": "admin\x00", "password": "x"}),
        "username",
    )
    order = an_order("DD0903")
    order["lines"][0]["sku"] = "A\x001"
    r = client.post("/api/v1/orders", headers=h, json={"orders": [order]})
    _rejects(r, "orders.0.lines.0.sku")


def test_lone_surrogates_are_refused_naming_the_field(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    # Free-form JSON (orders, SLA clocks) let them through to a UTF-8 encoder: a 500 on both.
    h = {**headers["admin"], "Content-Type": "application/json"}
    raw = json.dumps({"orders": [an_order("DD0904", buyer_name="\ud800")]}).encode()
    _rejects(client.post("/api/v1/orders", headers=h, content=raw), "orders.0.buyer_name")
    raw = json.dumps({"orders": [{**an_order("DD0905"), "order_no": "DD\udfff"}]}).encode()
    _rejects(client.post("/api/v1/orders", headers=h, content=raw), "orders.0.order_no")
    draft = {
        "policy_id": "complaint",
        "clocks": [{"name": "first_response\ud83d"}],
        "effective_from": "2027-01-01T00:00:00+08:00",
    }
    raw = json.dumps(draft).encode()
    _rejects(client.post("/api/v1/sla/policies", headers=h, content=raw), "clocks.0.name")
    # A proper pair (an escaped emoji) is one character and goes through.
    ok = json.dumps({"topic": "耳机 😀"}, ensure_ascii=True).encode()
    buyer = {**headers["buyer"], "Content-Type": "application/json"}
    assert client.post("/api/v1/chats", headers=buyer, content=ok).status_code == 201


@pytest.mark.parametrize("paid_at", ["9999-12-31T23:59:59-08:00", "0001-01-01T00:00:00+08:00"])
def test_an_order_time_at_the_ends_of_the_calendar_names_the_field(
    client: TestClient, headers: dict[str, dict[str, str]], paid_at: str
) -> None:
    # Converting these to UTC overflowed Python's datetime: a 500 on both engines.
    order = an_order("DD0906", paid_at=paid_at)
    r = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [order]})
    body = _rejects(r, "orders[0].paid_at")
    assert body["fields"][0]["code"] == "out_of_range"


def test_times_at_the_ends_of_the_calendar_name_the_field(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    # Deadlines from 9999-12-31 and UTC of 0001-01-01+14:00 overflowed datetime: 500s.
    h = headers["admin"]
    body = _rejects(
        client.get("/api/v1/sla/preview?kind=complaint&at=9999-12-31T23:59:59%2B00:00", headers=h),
        "at",
    )
    assert body["fields"][0]["code"] == "instant_out_of_range"
    assert body["fields"][0]["message_zh"] == "时间须在 2000 年至 2099 年之间"
    policy = client.get("/api/v1/sla/policies?policy_id=complaint", headers=h).json()["items"][0]
    latest = policy["versions"][-1]
    draft = {
        "policy_id": "complaint",
        "clocks": latest["clocks"],
        "match": latest["match"],
        "effective_from": "9999-12-20T00:00:00+08:00",
    }
    _rejects(client.post("/api/v1/sla/policies", headers=h, json=draft), "effective_from")
    call = {
        "caller_number": "13812345678",
        "started_at": "0001-01-01T00:00:00+14:00",
        "duration_s": 60,
        "notes": "耳机右耳没有声音，重新配对也不行。",
    }
    _rejects(client.post("/api/v1/calls", headers=headers["agent"], json=call), "started_at")


def test_control_characters_leave_an_evidence_file_name(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    # A NUL in the multipart file name reached a PostgreSQL text column: a 500 there.
    number = _a_case(client, headers)
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100
    raw = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="\xe7\x85\xa7\x00\x1b.png"'
        b"\r\nContent-Type: image/png\r\n\r\n" + png + b"\r\n--x--\r\n"
    )
    h = {**headers["buyer"], "Content-Type": "multipart/form-data; boundary=x"}
    r = client.post(f"/api/v1/cases/{number}/evidence", headers=h, content=raw)
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "照.png"


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("/api/v1/cases", f"2026-11-24T02:00:00+00:00|{HUGE}"),
        ("/api/v1/cases", f"2026-11-24T02:00:00+00:00|-{HUGE}"),
        ("/api/v1/cases", "0001-01-01T00:00:00+14:00|1"),  # no UTC for it
        ("/api/v1/cases", "9999-12-31T23:59:59-14:00|1"),
        ("/api/v1/search?q=耳机", f"s{HUGE}"),
    ],
)
def test_a_forged_page_cursor_past_the_database_names_the_cursor(
    client: TestClient, headers: dict[str, dict[str, str]], path: str, raw: str
) -> None:
    # A cursor is opaque but arrives from the client: its id or time reached the database
    # and overflowed there (a 500 on both engines).
    glue = "&" if "?" in path else "?"
    r = client.get(f"{path}{glue}cursor={_cursor(raw)}", headers=headers["agent"])
    body = _rejects(r, "cursor")
    assert body["fields"][0]["message_zh"] == "分页游标无效"


@pytest.mark.parametrize(
    ("raw", "code", "zh"),
    [
        (b'{"version": NaN}', "finite_number", "必须是有限的数字（不能是 NaN 或 Infinity）"),
        (b'{"version": -Infinity}', "finite_number", "必须是有限的数字（不能是 NaN 或 Infinity）"),
        (b'{"version": 1e400}', "finite_number", "必须是有限的数字（不能是 NaN 或 Infinity）"),
        (b'{"version": 1.5}', "int_from_float", "必须是整数，不能有小数"),
    ],
)
def test_numbers_no_field_takes_are_named_in_both_languages(
    client: TestClient, headers: dict[str, dict[str, str]], raw: bytes, code: str, zh: str
) -> None:
    # Python's JSON reader takes NaN and Infinity; they showed pydantic's English and "取值无效".
    number = _a_case(client, headers)
    h = {**headers["admin"], "Content-Type": "application/json"}
    body = _rejects(
        client.post(f"/api/v1/cases/{number}/assign", headers=h, content=raw), "version"
    )
    [fault] = body["fields"]
    assert (fault["code"], fault["message_zh"]) == (code, zh)
    assert not fault["message_en"].startswith("Input should")


@pytest.mark.parametrize("started_at", ["yesterday", "2026-13-01T00:00:00+08:00", None])
def test_a_time_that_is_no_time_is_named_in_both_languages(
    client: TestClient, headers: dict[str, dict[str, str]], started_at: str | None
) -> None:
    call = {"caller_number": "13812345678", "started_at": started_at, "notes": "耳机没有声音"}
    body = _rejects(client.post("/api/v1/calls", headers=headers["agent"], json=call), "started_at")
    [fault] = [f for f in body["fields"] if f["field"] == "started_at"]
    assert fault["message_zh"].startswith("时间格式无效")
    assert "ISO 8601" in fault["message_en"]


def test_a_file_sent_as_text_is_named_in_both_languages(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    number = _a_case(client, headers)
    r = client.post(
        f"/api/v1/cases/{number}/evidence", headers=headers["buyer"], data={"file": "照片.png"}
    )
    [fault] = _rejects(r, "file")["fields"]
    assert fault["message_zh"] == "必须是上传的文件，不能是文本"
    assert fault["message_en"] == "must be an uploaded file, not text"


def test_a_chat_frame_with_text_no_column_can_hold_is_answered_with_the_field(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    # Frames skip the route's check: a NUL crashed the socket on PostgreSQL, a lone surrogate
    # escape on both engines; the connection must stay and say which field.
    h = headers["buyer"]
    chat_id = client.post("/api/v1/chats", headers=h, json={"topic": "耳机"}).json()["id"]
    with client.websocket_connect(f"/api/v1/chats/{chat_id}/ws", headers=h) as ws:
        assert ws.receive_json()["type"] == "hello"
        for raw, field, code in [
            ('{"body": "a\\u0000b", "client_msg_id": "m1"}', "body", "nul_character"),
            ('{"body": "a\\ud800", "client_msg_id": "m2"}', "body", "invalid_unicode"),
            ('{"body": "在吗", "client_msg_id": "m\\u00003"}', "client_msg_id", "nul_character"),
        ]:
            ws.send_text(raw)
            frame = ws.receive_json()
            assert frame["type"] == "error", frame
            assert [(f["field"], f["code"]) for f in frame["fields"]] == [(field, code)]
            assert frame["message_zh"]
            assert frame["message_en"]
        ws.send_text('{"body": "在吗", "client_msg_id": "m4"}')
        assert ws.receive_json()["type"] == "ack"
