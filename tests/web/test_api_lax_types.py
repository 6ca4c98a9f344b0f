"""Lax JSON values in a body (a bool or text for a number, a number for a time or a
true/false): a 422 naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.bodies import DRAFT, FILING

H = dict[str, dict[str, str]]
CALL = {
    "caller_number": "13812345678",
    "started_at": "2026-11-24T09:30:00+08:00",
    "duration_s": 185,
    "notes": "来电反映耳机右耳没有声音，要求换货。",
}
OVERRIDE = {"calendar": "platform", "date": "2026-11-28", "working": True, "note": "调休"}
NOT_AN_INT = ("int_type", "必须是整数", "must be an integer")
NOT_A_TIME = ("datetime_type", "时间格式无效", "ISO 8601")
NOT_A_DATE = ("date_type", "日期格式无效", "YYYY-MM-DD")
NOT_A_BOOL = ("bool_type", "必须是 true 或 false", "must be true or false")
# (who, method, path, body, field at fault, (code, zh, en)): each body is otherwise valid,
# and each was taken before, the bool as 1 and the text or number read as what it spells.
LAX = {
    "action version true": (
        "agent",
        "POST",
        "/api/v1/cases/{case}/actions/start_screening",
        {"version": True},
        "version",
        NOT_AN_INT,
    ),
    "action version as text": (
        "agent",
        "POST",
        "/api/v1/cases/{case}/actions/start_screening",
        {"version": "1"},
        "version",
        NOT_AN_INT,
    ),
    "assignment version true": (
        "admin",
        "POST",
        "/api/v1/cases/{case}/assign",
        {"version": True, "team": "cs"},
        "version",
        NOT_AN_INT,
    ),
    "category version as text": (
        "agent",
        "POST",
        "/api/v1/cases/{case}/category",
        {"version": "1", "category": "其他"},
        "version",
        NOT_AN_INT,
    ),
    "line number true": (
        "buyer",
        "POST",
        "/api/v1/cases",
        {**FILING, "line_nos": [True]},
        "line_nos.0",
        NOT_AN_INT,
    ),
    "line number as text": (
        "buyer",
        "POST",
        "/api/v1/cases",
        {**FILING, "line_nos": ["1"]},
        "line_nos.0",
        NOT_AN_INT,
    ),
    "call duration true": (
        "agent",
        "POST",
        "/api/v1/calls",
        {**CALL, "duration_s": True},
        "duration_s",
        NOT_AN_INT,
    ),
    "call duration as text": (
        "agent",
        "POST",
        "/api/v1/calls",
        {**CALL, "duration_s": "185"},
        "duration_s",
        NOT_AN_INT,
    ),
    "call time as seconds": (
        "agent",
        "POST",
        "/api/v1/calls",
        {**CALL, "started_at": 1795000000},
        "started_at",
        NOT_A_TIME,
    ),
    "call time as a year": (
        "agent",
        "POST",
        "/api/v1/calls",
        {**CALL, "started_at": "2026"},
        "started_at",
        NOT_A_TIME,
    ),
    "reviewed decision id true": (
        "buyer",
        "POST",
        "/api/v1/sla/cases/{case}/review-requests",
        {"decision_id": True},
        "decision_id",
        NOT_AN_INT,
    ),
    "agreement hours true": (
        "admin",
        "PUT",
        "/api/v1/sla/agreements/shop-a",
        {"reply_within_hours": True},
        "reply_within_hours",
        NOT_AN_INT,
    ),
    "agreement days as text": (
        "admin",
        "PUT",
        "/api/v1/sla/agreements/shop-a",
        {"return_window_days": "15"},
        "return_window_days",
        NOT_AN_INT,
    ),
    "calendar day 0": (
        "admin",
        "POST",
        "/api/v1/sla/calendar-overrides",
        {**OVERRIDE, "date": 0},
        "date",
        NOT_A_DATE,
    ),
    "calendar day as text 0": (
        "admin",
        "POST",
        "/api/v1/sla/calendar-overrides",
        {**OVERRIDE, "date": "0"},
        "date",
        NOT_A_DATE,
    ),
    "internal note as text": (
        "agent",
        "POST",
        "/api/v1/cases/{case}/messages",
        {"body": "请核实物流", "internal": "no"},
        "internal",
        NOT_A_BOOL,
    ),
    "on duty as 0": (
        "admin",
        "PUT",
        "/api/v1/staff/agent1/availability",
        {"on_duty": 0},
        "on_duty",
        NOT_A_BOOL,
    ),
    "calendar working as text": (
        "admin",
        "POST",
        "/api/v1/sla/calendar-overrides",
        {**OVERRIDE, "working": "false"},
        "working",
        NOT_A_BOOL,
    ),
    "policy start as seconds": (
        "admin",
        "POST",
        "/api/v1/sla/policies",
        {**DRAFT, "effective_from": 1796140800},
        "effective_from",
        NOT_A_TIME,
    ),
}


@pytest.fixture
def case(client: TestClient, headers: H) -> str:
    r = client.post("/api/v1/cases", headers=headers["buyer"], json=FILING)
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "field", "fault"), LAX.values(), ids=list(LAX)
)
def test_a_lax_value_is_refused_naming_the_field_in_both_languages(
    client: TestClient,
    headers: H,
    case: str,
    who: str,
    method: str,
    path: str,
    body: dict[str, Any],
    field: str,
    fault: tuple[str, str, str],
) -> None:
    r = client.request(method, path.format(case=case), headers=headers[who], json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    [named] = [f for f in problem["fields"] if f["field"] == field]
    code, zh, en = fault
    assert named["code"] == code
    assert named["message_zh"].startswith(zh)
    assert en in named["message_en"]
    assert field in problem["message_zh"]
    assert field in problem["message_en"]


def test_version_true_does_not_act_on_version_1(client: TestClient, headers: H, case: str) -> None:
    r = client.post(
        f"/api/v1/cases/{case}/actions/start_screening",
        headers=headers["agent"],
        json={"version": True},
    )
    assert r.status_code == 422, r.text
    after = client.get(f"/api/v1/cases/{case}", headers=headers["agent"]).json()
    assert (after["status"], after["version"]) == ("submitted", 1)
    # A whole number written with a fraction part is still the number: JSON does not tell them
    # apart, and some writers emit 1.0.
    ok = client.post(
        f"/api/v1/cases/{case}/actions/start_screening",
        headers=headers["agent"],
        json={"version": 1.0},
    )
    assert ok.status_code == 200, ok.text


# What each lax kind of value is, per JSON Schema type and format of a body property.
_LAX_VALUES: dict[tuple[str, str | None], list[Any]] = {
    ("integer", None): [True, "1"],
    ("string", "date-time"): [1795000000, "2026"],
    ("string", "date"): [0, "0"],
    ("boolean", None): [1, "true"],
}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _lax_bodies(spec: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(field as errors name it, a value holding a lax value there) for every number, time and
    date a schema holds, nested objects and arrays included."""
    schema = _resolve(spec, schema)
    for option in schema.get("anyOf", []):
        yield from _lax_bodies(spec, option)
    for name, prop in schema.get("properties", {}).items():
        for inner, value in _lax_bodies(spec, prop):
            yield (f"{name}.{inner}" if inner else name), {name: value}
    if schema.get("type") == "array" and "items" in schema:
        for inner, value in _lax_bodies(spec, schema["items"]):
            yield (f"0.{inner}" if inner else "0"), [value]
    for value in _LAX_VALUES.get((schema.get("type", ""), schema.get("format")), []):
        yield "", value


# Path parameters the walk fills in (any other is an id).
_PATH = {"number": "KF20261124000001", "action": "accept", "shop": "shop-a"}
_PATH |= {"username": "agent1", "policy_id": "complaint"}


def test_every_number_time_and_date_of_every_json_body_refuses_a_lax_value(
    client: TestClient, headers: H
) -> None:
    # Walks the document, so a body field added later is held to the same rule.
    spec = client.get("/openapi.json").json()
    checked = []
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: _PATH.get(m.group(1), "1"), path)
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            for field, body in _lax_bodies(spec, content["application/json"]["schema"]):
                r = client.request(method, url, headers=headers["admin"], json=body)
                assert r.status_code == 422, (method, path, body, r.text)
                named = [f for f in r.json()["fields"] if f["field"] == field]
                assert named, (method, path, body, r.json()["fields"])
                assert named[0]["code"] in {"int_type", "datetime_type", "date_type", "bool_type"}
                checked.append((method, path, field))
    # The walk found the fields it is about (a broken walk would check nothing).
    assert ("post", "/api/v1/cases/{number}/actions/{action}", "version") in checked
    assert ("post", "/api/v1/cases", "line_nos.0") in checked
    assert ("post", "/api/v1/sla/calendar-overrides", "date") in checked
    assert ("put", "/api/v1/sla/agreements/{shop}", "solution_working_days") in checked
    assert ("post", "/api/v1/cases/{number}/messages", "internal") in checked


def test_a_chat_frame_field_that_is_not_text_is_named_and_nothing_stored(
    client: TestClient, headers: H
) -> None:
    # A null body was stored as the line "None", a number as its digits.
    h = headers["buyer"]
    chat_id = client.post("/api/v1/chats", headers=h, json={"topic": "耳机"}).json()["id"]
    with client.websocket_connect(f"/api/v1/chats/{chat_id}/ws", headers=h) as ws:
        assert ws.receive_json()["type"] == "hello"
        for raw, field in [
            ('{"body": 123, "client_msg_id": "m1"}', "body"),
            ('{"body": true}', "body"),
            ('{"body": "在吗", "client_msg_id": 5}', "client_msg_id"),
        ]:
            ws.send_text(raw)
            frame = ws.receive_json()
            assert frame["type"] == "error", frame
            assert (field, "string_type") in [(f["field"], f["code"]) for f in frame["fields"]]
            [named] = [f for f in frame["fields"] if f["field"] == field]
            assert (named["message_zh"], named["message_en"]) == ("必须是文本", "must be text")
        ws.send_text('{"body": null}')
        assert ws.receive_json()["type"] == "error"  # an empty line, as a missing body
        ws.send_text('{"body": "在吗", "client_msg_id": "m4"}')
        assert ws.receive_json()["type"] == "ack"
    lines = client.get(f"/api/v1/chats/{chat_id}", headers=h).json()["messages"]
    assert [m["body"] for m in lines] == ["在吗"]
