"""/api/v1/mail: failing and given-up mail listed, taken in again and sent again, for real.

Inbound intake is broken by a database trigger (`poisoned`); outgoing mail is refused by an
aiosmtpd relay on loopback answering 550, and sent again to one that accepts it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.services.mail_retry import MAX_FAILED_ATTEMPTS
from kefu.web.schemas import Problem
from kefu.web.schemas_mail import MailFailuresOut, ResendOut, RetakeOut
from tests.channels import mail_desk_steps as steps
from tests.channels.conftest import FAULT, POISON, WHY, a_mail, take_in
from tests.channels.test_mail_send_failures import Relay
from tests.web.openapi_check import check, fits

Desk = tuple[TestClient, dict[str, dict[str, str]]]
FAILURES = "/api/v1/mail/failures"
RETAKE = "/api/v1/mail/inbound/{mail_id}/retake"
RESEND = "/api/v1/mail/outbound/{mail_id}/resend"
REFUSED = {"buyer": 403, "seller": 403, "agent": 403}


@pytest.fixture
def relays() -> Iterator[list[Relay]]:
    yield from steps.relays()


@pytest.fixture
def spec(desk: Desk) -> dict[str, Any]:
    document: dict[str, Any] = desk[0].get("/openapi.json").json()
    return document


def _problem(spec: dict[str, Any], method: str, path: str, r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    schema = spec["paths"][path][method]["responses"][str(status)]["content"]
    body: dict[str, Any] = r.json()
    check(spec, schema["application/problem+json"]["schema"], body, "body")
    Problem.model_validate(body)
    return body


def _listed(desk: Desk, spec: dict[str, Any], who: str) -> dict[str, Any]:
    client, headers = desk
    r = client.get(FAILURES, headers=headers[who])
    listed: dict[str, Any] = fits(spec, "get", FAILURES, r, MailFailuresOut)
    return listed


def test_only_supervisors_and_admins_reach_the_mail_desk(desk: Desk) -> None:
    client, headers = desk
    calls = [
        ("GET", FAILURES),
        ("POST", RETAKE.format(mail_id=1)),
        ("POST", RESEND.format(mail_id=1)),
    ]
    for method, url in calls:
        got = {r: client.request(method, url, headers=h).status_code for r, h in headers.items()}
        allowed = 200 if method == "GET" else 404  # no mail #1: the door is open, the mail absent
        assert got == {**REFUSED, "supervisor": allowed, "admin": allowed}, (method, url)
        assert client.request(method, url).status_code == 401
    denied = client.get(FAILURES, headers=headers["agent"]).json()
    assert "manage_mail" in denied["message_en"]
    assert "当前角色无权限" in denied["message_zh"]


def test_a_reply_refused_for_good_is_sent_again_and_delivered(
    app: App, desk: Desk, spec: dict[str, Any], relays: list[Relay]
) -> None:
    client, headers = desk
    refusing = steps.start(relays, rcpt_reply=steps.REFUSAL)
    number, failed = steps.give_up_reply(app, refusing)

    listed = _listed(desk, spec, "supervisor")
    (item,) = listed["outbound"]
    assert (item["mail_id"], item["case_number"], item["recipient"]) == (
        failed.id,
        number,
        "li@example.cn",
    )
    assert (item["reason"], item["kind"], item["attempts"]) == ("smtp_refused", "ack", 1)
    assert "550" in item["error"]
    assert item["reason_zh"] == "发信服务器永久拒绝了这封邮件"
    assert item["given_up_at"] is not None

    url = RESEND.format(mail_id=failed.id)
    resent = fits(spec, "post", RESEND, client.post(url, headers=headers["supervisor"]), ResendOut)
    assert (resent["mail_id"], resent["to"], resent["case_number"]) == (
        failed.id,
        "li@example.cn",
        number,
    )
    record = steps.mail_record(app, mail_id=failed.id)
    detail = json.loads(record.detail)
    assert (record.verdict, detail["resent_by"], detail["resent_as"]) == (
        "resent",
        "sup",
        resent["new_message_id"],
    )
    assert detail["resent_at"].startswith(app.clock.now().date().isoformat())
    note = steps.internal_notes(app, number)[-1]
    assert "sup" in note
    assert note.index("重新发送") < note.index("sent again")
    assert _listed(desk, spec, "admin")["outbound"] == []

    # The worker's relay sends it, now to a server that accepts it, under the new Message-ID.
    accepting = steps.start(relays)
    assert steps.relay_as_worker(app, accepting.transport) == 1
    (delivered,) = accepting.wait_for(1)
    assert delivered.rcpt_tos == ["li@example.cn"]
    sent = message_from_bytes(delivered.raw)
    assert sent["Message-ID"] == resent["new_message_id"]
    assert number in str(sent["Subject"])
    assert [(m.id, m.verdict) for m in steps.outbound(app)] == [
        (failed.id, "resent"),
        (steps.mail_record(app, message_id=resent["new_message_id"]).id, "sent"),
    ]

    again = _problem(spec, "post", RESEND, client.post(url, headers=headers["admin"]), 409)
    assert again["code"] == "not_given_up"
    assert "没有被放弃" in again["message_zh"]
    assert "was not given up" in again["message_en"]
    missing = client.post(RESEND.format(mail_id=failed.id + 99), headers=headers["admin"])
    assert _problem(spec, "post", RESEND, missing, 404)["code"] == "not_found"


def test_an_address_no_mail_can_reach_is_not_sent_again_until_it_changes(
    app: App, desk: Desk, spec: dict[str, Any], relays: list[Relay]
) -> None:
    client, headers = desk
    accepting = steps.start(relays)
    bad = f"li@{'例' * 64}.中国"  # its A-label would be longer than the 63 a DNS label holds
    number, failed = steps.give_up_reply(app, accepting, sender=bad)
    assert failed.reason == "bad_address"
    url = RESEND.format(mail_id=failed.id)

    refused = _problem(spec, "post", RESEND, client.post(url, headers=headers["admin"]), 409)

    assert refused["code"] == "address_unusable"
    assert bad in refused["message_zh"]
    assert "无法收信" in refused["message_zh"]
    assert "no mail can reach" in refused["message_en"]
    assert steps.mail_record(app, mail_id=failed.id).verdict == "failed"  # nothing changed
    with app.uow() as uow:
        assert uow.outbox.pending_count() == 0
    # The buyer's account gets a good address and the buyer writes from it: replies go there.
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        fixing = text("UPDATE users SET email = 'li@example.cn' WHERE id = :id")
        uow.conn.execute(fixing, {"id": case.buyer_id})
        uow.commit()
    reply = a_mail(sender="li@example.cn", subject=f"Re: [{number}] 耳机坏了", body="我换了邮箱。")
    assert take_in(app, reply).verdict == "threaded"
    resent = fits(spec, "post", RESEND, client.post(url, headers=headers["admin"]), ResendOut)
    assert resent["to"] == "li@example.cn"
    steps.relay_as_worker(app, accepting.transport)
    (delivered,) = accepting.wait_for(1)
    assert delivered.rcpt_tos == ["li@example.cn"]


def test_a_given_up_mail_is_taken_in_again_through_the_api(
    app: App,
    clock: FixedClock,
    desk: Desk,
    spec: dict[str, Any],
    poisoned: Callable[[bool], None],
) -> None:
    client, headers = desk
    poisoned(True)
    given_up = steps.give_up_inbound(app, clock)
    clock.advance(timedelta(minutes=1))  # the other mail failed last: it is listed first
    with pytest.raises(FAULT, match=WHY):
        take_in(app, a_mail(subject="POISON 第二封", message_id="<poison-2@example.com>"))

    listed = _listed(desk, spec, "admin")
    first, second = listed["inbound"]
    assert (second["mail_id"], second["message_id"], second["state"]) == (
        given_up.id,
        POISON,
        "given_up",
    )
    assert (second["failures"], second["can_retake"]) == (MAX_FAILED_ATTEMPTS + 1, True)
    assert WHY in second["last_error"]
    assert "[SQL:" not in second["last_error"]  # the cause, not the statement
    assert (second["sender"], second["subject"]) == ("buyer@example.com", "POISON 耳机坏了")
    assert (first["mail_id"], first["state"], first["can_retake"]) == (None, "retrying", False)

    url = RETAKE.format(mail_id=given_up.id)
    still = fits(spec, "post", RETAKE, client.post(url, headers=headers["supervisor"]), RetakeOut)
    assert (still["failed_again"], still["verdict"], still["reason"]) == (
        True,
        "rejected",
        "intake_failed",
    )
    assert WHY in still["error"]
    poisoned(False)  # the cause is mended
    done = fits(spec, "post", RETAKE, client.post(url, headers=headers["supervisor"]), RetakeOut)
    assert (done["failed_again"], done["verdict"], done["error"]) == (False, "case_opened", "")
    number = done["case_number"]
    assert number
    with app.uow() as uow:
        failure = uow.channels.mail.failure(POISON)
    assert failure is not None
    assert (failure.retakes, failure.retaken_by) == (2, "sup")
    (note,) = steps.internal_notes(app, number)
    assert "sup" in note

    again = _problem(spec, "post", RETAKE, client.post(url, headers=headers["admin"]), 409)
    assert again["code"] == "not_given_up"
    missing = client.post(RETAKE.format(mail_id=given_up.id + 99), headers=headers["admin"])
    assert _problem(spec, "post", RETAKE, missing, 404)["code"] == "not_found"
    (left,) = client.get(FAILURES, headers=headers["admin"]).json()["inbound"]
    assert left["state"] == "retrying"
