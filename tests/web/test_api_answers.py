"""Every successful API answer has a schema in /openapi.json, and real answers fit it: cases,
evidence, search, orders and people, screening, mail failures (chat, calls, SLA:
test_api_answers_more; taking mail in again and sending it again, with real SMTP servers:
tests/channels/test_mail_desk_api.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.adapters.mail_transport import LogTransport
from kefu.bootstrap import App
from kefu.web import schemas, schemas_mail, schemas_out
from kefu.web.api_evidence import EVIDENCE_TYPES
from kefu.worker import run_once
from tests.builders import COMPLAINT_TEXTS, PASSWORD, an_order
from tests.channels.conftest import relay_mail, take_in
from tests.channels.test_mail_send_failures import utf8_mail
from tests.web.openapi_check import documented, fits, resolve

H = dict[str, dict[str, str]]
FILING = {
    "kind": "complaint",
    "subject": "耳机右耳没有声音",
    "order_no": "DD0001",
    "line_nos": [1],
    "description": COMPLAINT_TEXTS[0],
    "contact_phone": "13812345678",
}
CASES = "/api/v1/cases"
# Each type evidence is sniffed as (adapters/storage.py), by the bytes it starts with.
SAMPLES = {
    "image/jpeg": b"\xff\xd8\xff\xe0" + b"\x01" * 64,
    "image/png": b"\x89PNG\r\n\x1a\n" + b"\x01" * 64,
    "image/gif": b"GIF89a" + b"\x01" * 64,
    "image/webp": b"RIFF\x40\x00\x00\x00WEBPVP8 " + b"\x01" * 64,
    "application/pdf": b"%PDF-1.7\n" + b"\x01" * 64,
    "video/mp4": b"\x00\x00\x00\x18ftypisom" + b"\x01" * 64,
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  " + b"\x01" * 64,
    "video/webm": b"\x1a\x45\xdf\xa3" + b"\x01" * 64,
}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _file(client: TestClient, headers: H, **changes: Any) -> str:
    r = client.post(CASES, headers=headers["buyer"], json={**FILING, **changes})
    assert r.status_code == 201, r.text
    number: str = r.json()["number"]
    return number


def test_every_success_of_every_api_operation_documents_its_body(spec: dict[str, Any]) -> None:
    operations = 0
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in methods.items():
            operations += 1
            successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
            assert successes, (method, path)
            for status, response in successes.items():
                content = response.get("content") or {}
                if status == "204":
                    assert not content, (method, path)
                    continue
                assert content, (method, path, status)
                for media, entry in content.items():
                    schema = entry["schema"]
                    if media == "application/json":
                        # A named model with its keys, not `{}` nor an untyped object.
                        assert "$ref" in schema, (method, path, status, schema)
                        assert resolve(spec, schema).get("properties"), (method, path, status)
                    else:
                        assert schema == {"type": "string", "format": "binary"}, (method, path)
    assert operations >= 47


def test_the_evidence_download_is_documented_as_the_files_own_types(
    spec: dict[str, Any],
) -> None:
    answer = spec["paths"][CASES + "/{number}/evidence/{attachment_id}"]["get"]["responses"]
    assert set(answer["200"]["content"]) == set(EVIDENCE_TYPES)
    assert "application/json" not in answer["200"]["content"]


def test_filing_listing_reading_and_acting_answer_as_documented(
    client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    key = {**headers["buyer"], "Idempotency-Key": "file-1"}
    filed = client.post(CASES, headers=key, json=FILING)
    number = fits(spec, "post", CASES, filed, schemas.CaseOut, 201)["number"]
    # Every key of a case is always sent, null or not: the document says so, or a generated
    # client would make shop, team and allowed_actions optional.
    assert set(spec["components"]["schemas"]["CaseOut"]["required"]) == set(filed.json())
    again = client.post(CASES, headers=key, json=FILING)
    assert fits(spec, "post", CASES, again, schemas.CaseOut, 200)["number"] == number
    _file(client, headers, subject="屏幕有坏点")
    page = client.get(CASES + "?limit=1", headers=headers["agent"])
    assert fits(spec, "get", CASES, page, schemas_out.CasePage)["next_cursor"]

    one = CASES + "/{number}"
    note = client.post(
        f"{CASES}/{number}/messages",
        headers=headers["agent"],
        json={"body": "已收到，正在核实", "internal": False},
    )
    fits(spec, "post", one + "/messages", note, schemas_out.MessageReceipt, 201)
    upload = client.post(
        f"{CASES}/{number}/evidence",
        headers=headers["buyer"],
        files={"file": ("耳机.png", SAMPLES["image/png"], "image/png")},
    )
    fits(spec, "post", one + "/evidence", upload, schemas_out.AttachmentOut, 201)
    act = client.post(
        f"{CASES}/{number}/actions/start_screening", headers=headers["agent"], json={"version": 1}
    )
    fits(spec, "post", one + "/actions/{action}", act, schemas.CaseOut)
    assign = client.post(
        f"{CASES}/{number}/assign", headers=headers["admin"], json={"version": 2, "team": "cs"}
    )
    fits(spec, "post", one + "/assign", assign, schemas.CaseOut)
    for who in ("agent", "seller", "buyer"):
        full = fits(
            spec,
            "get",
            one,
            client.get(f"{CASES}/{number}", headers=headers[who]),
            schemas_out.CaseDetail,
        )
        assert full["order"]["lines"]
        assert full["seller"]
        assert full["attachments"]
        assert len(full["timeline"]) >= 3
    timeline = client.get(f"{CASES}/{number}/timeline?after=1", headers=headers["agent"])
    assert fits(spec, "get", one + "/timeline", timeline, schemas_out.TimelinePage)["items"]


@pytest.mark.parametrize("media", list(SAMPLES))
def test_an_evidence_download_is_sent_as_a_documented_type(
    client: TestClient, headers: H, spec: dict[str, Any], media: str
) -> None:
    number = _file(client, headers)
    up = client.post(
        f"{CASES}/{number}/evidence",
        headers=headers["buyer"],
        files={"file": ("证据", SAMPLES[media], "application/octet-stream")},
    )
    assert up.status_code == 201, up.text
    r = client.get(up.json()["url"], headers=headers["agent"])
    assert r.status_code == 200
    assert r.content == SAMPLES[media]
    path = CASES + "/{number}/evidence/{attachment_id}"
    assert documented(spec, "get", path, r) == {"type": "string", "format": "binary"}


def test_search_answers_as_documented(client: TestClient, headers: H, spec: dict[str, Any]) -> None:
    _file(client, headers)
    _file(client, headers, subject="屏幕有坏点")
    r = client.get("/api/v1/search?q=DD0001&limit=1", headers=headers["agent"])
    page = fits(spec, "get", "/api/v1/search", r, schemas_out.SearchPage)
    assert page["items"]
    assert page["next_cursor"]


def test_orders_and_people_answer_as_documented(
    app: App, client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    bad = an_order("DD0901")
    bad["lines"][0]["paid_fen"] = "379.00"
    imported = client.post(
        "/api/v1/orders", headers=headers["admin"], json={"orders": [an_order("DD0900"), bad]}
    )
    report = fits(spec, "post", "/api/v1/orders", imported, schemas_out.ImportReport)
    assert (report["created"], report["failed"]) == (1, 1)
    order = client.get("/api/v1/orders/DD0001", headers=headers["seller"])
    assert fits(spec, "get", "/api/v1/orders/{order_no}", order, schemas_out.OrderOut)["lines"]
    token = client.post("/api/v1/auth/token", json={"username": "buyer1", "password": PASSWORD})
    fits(spec, "post", "/api/v1/auth/token", token, schemas_out.TokenOut, 201)
    user = client.post(
        "/api/v1/users",
        headers=headers["admin"],
        json={"username": "agent9", "password": "long enough", "roles": ["agent"]},
    )
    fits(spec, "post", "/api/v1/users", user, schemas_out.UserCreated, 201)
    for who in ("buyer", "seller", "tech"):
        fits(
            spec,
            "get",
            "/api/v1/me",
            client.get("/api/v1/me", headers=headers[who]),
            schemas_out.MeOut,
        )
    number = _file(client, headers)
    client.post(f"{CASES}/{number}/messages", headers=headers["agent"], json={"body": "您好"})
    run_once(app)  # the outbox becomes notices
    notices = client.get("/api/v1/notifications", headers=headers["buyer"])
    assert fits(spec, "get", "/api/v1/notifications", notices, schemas_out.NotificationList)[
        "items"
    ]


REJECTED = ("太差了太差了太差了太差了", "垃圾垃圾垃圾垃圾垃圾垃圾", "烂烂烂烂烂烂烂烂烂烂")


def test_screening_answers_as_documented(
    client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    number = _file(client, headers)
    screening = CASES + "/{number}/screening"
    for who in ("agent", "supervisor"):
        r = client.get(f"{CASES}/{number}/screening", headers=headers[who])
        fits(spec, "get", screening, r, schemas_out.ScreeningOut)
    abusive = _file(client, headers, description="垃圾商家骗子，" + COMPLAINT_TEXTS[1])
    r = client.get(f"{CASES}/{abusive}/screening", headers=headers["supervisor"])
    fits(spec, "get", screening, r, schemas_out.ScreeningOut)
    fixed = client.post(
        f"{CASES}/{number}/category",
        headers=headers["agent"],
        json={"version": 1, "category": "其他"},
    )
    fits(spec, "post", CASES + "/{number}/category", fixed, schemas_out.CategoryReceipt)
    exported = client.get("/api/v1/classification/overrides", headers=headers["admin"])
    page = fits(spec, "get", "/api/v1/classification/overrides", exported, schemas_out.OverridePage)
    assert page["items"]
    for text in REJECTED:
        _file(client, headers, description=text)
    flags = client.get("/api/v1/buyer-flags", headers=headers["supervisor"])
    [flag] = fits(spec, "get", "/api/v1/buyer-flags", flags, schemas_out.BuyerFlagList)["items"]
    reviewed = client.post(
        f"/api/v1/buyer-flags/{flag['id']}/review",
        headers=headers["supervisor"],
        json={"decision": "cleared"},
    )
    fits(spec, "post", "/api/v1/buyer-flags/{flag_id}/review", reviewed, schemas_out.FlagReviewed)
    closed = client.get("/api/v1/buyer-flags?status=cleared", headers=headers["supervisor"])
    [done] = fits(spec, "get", "/api/v1/buyer-flags", closed, schemas_out.BuyerFlagList)["items"]
    assert done["reviewed_at"]
    duty = client.put(
        "/api/v1/staff/agent1/availability",
        headers=headers["supervisor"],
        json={"on_duty": True, "shift_start": "08:00", "shift_end": "20:00"},
    )
    path = "/api/v1/staff/{username}/availability"
    fits(spec, "put", path, duty, schemas_out.AvailabilityOut)


def test_mail_failures_answer_as_documented(
    app: App, client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    failures = "/api/v1/mail/failures"
    out = schemas_mail.MailFailuresOut
    empty = fits(spec, "get", failures, client.get(failures, headers=headers["admin"]), out)
    assert empty == {"inbound": [], "outbound": []}
    # A reply to an address no domain name can hold is given up without any server.
    opened = take_in(app, utf8_mail(f"li@{'例' * 64}.中国", "<unreachable@example.cn>"))
    relay_mail(app, LogTransport())
    listed = client.get(failures, headers=headers["supervisor"])
    (given_up,) = fits(spec, "get", failures, listed, out)["outbound"]
    assert (given_up["case_number"], given_up["reason"]) == (opened.case_number, "bad_address")
    for path, model in (
        ("/api/v1/mail/inbound/{mail_id}/retake", schemas_mail.RetakeOut),
        ("/api/v1/mail/outbound/{mail_id}/resend", schemas_mail.ResendOut),
    ):
        answer = spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": f"#/components/schemas/{model.__name__}"}
