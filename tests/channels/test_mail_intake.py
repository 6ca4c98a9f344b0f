"""Mail intake on both engines: new mail opens a case, replies thread, the rest is recorded."""

from __future__ import annotations

import json

from kefu.bootstrap import App
from kefu.domain.types import Channel
from tests.builders import a_user, an_order, imported
from tests.channels.conftest import MAIL, a_mail, take_in
from tests.e2e.helpers import tiny_png


def _case(app: App, number: str):  # type: ignore[no-untyped-def]
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        timeline = uow.records.timeline(case.id, include_internal=True)
        files = uow.records.attachments_for(case.id)
        mails = uow.channels.mail.for_case(case.id)
        outbox = uow.outbox.for_case(case.id)
    return case, timeline, files, mails, outbox


def test_new_mail_opens_feedback_case_for_a_new_buyer(app: App) -> None:
    result = take_in(app, a_mail(message_id="<first@example.com>"))
    assert (result.verdict, result.reason) == ("case_opened", "feedback")
    case, timeline, _files, mails, outbox = _case(app, result.case_number or "")
    assert case.channel is Channel.EMAIL
    assert case.contact_email == "buyer@example.com"
    assert case.subject == "耳机坏了"
    assert timeline[0].kind == "filed"
    assert [(m.message_id, m.verdict) for m in mails] == [("<first@example.com>", "case_opened")]
    assert any(r.topic == "mail_out" and r.payload["kind"] == "ack" for r in outbox)
    with app.uow() as uow:
        buyer = uow.people.user_by_id(case.buyer_id)
    assert buyer.email == "buyer@example.com"
    assert not buyer.password_hash


def test_known_buyer_naming_own_order_files_a_complaint(app: App) -> None:
    a_user(app, "buyer1", "buyer")
    with app.uow() as uow:
        uow.conn.exec_driver_sql(
            "UPDATE users SET email = 'liu@example.com' WHERE username = 'buyer1'"
        )
        uow.commit()
    imported(app, an_order("DD20261110001"), an_order("DD20261110999", buyer="someone"))
    body = "订单 DD20261110999 和 DD20261110001：耳机右耳没有声音，重新配对也不行。"
    result = take_in(app, a_mail(sender="liu@example.com", body=body))
    case, *_ = _case(app, result.case_number or "")
    assert result.reason == "complaint"
    assert case.order_no == "DD20261110001"  # the order that is this buyer's, not the other
    with app.uow() as uow:
        assert uow.people.user_by_id(case.buyer_id).username == "buyer1"


def test_redelivered_mail_is_processed_once(app: App) -> None:
    raw = a_mail(message_id="<again@example.com>")
    first = take_in(app, raw)
    second = take_in(app, raw)
    assert second.verdict == "duplicate"
    assert second.case_number == first.case_number
    with app.uow() as uow:
        assert len(uow.channels.mail.recent()) == 1


def test_reply_with_case_number_is_a_message_not_a_case(app: App) -> None:
    number = take_in(app, a_mail()).case_number or ""
    png = tiny_png(text=b"reply")
    reply = a_mail(
        subject=f"回复: [{number}] 耳机坏了",
        body="补充一张照片。\n\n在 2026年11月24日 写道：\n> 旧内容",
        attachments=[("照片.png", png, "image/png"), ("说明.txt", b"hello", "text/plain")],
    )
    result = take_in(app, reply)
    assert (result.verdict, result.case_number) == ("threaded", number)
    _c, timeline, files, mails, _ = _case(app, number)
    messages = [e for e in timeline if e.kind == "message"]
    assert [(m.body, m.actor_role, m.visibility) for m in messages] == [
        ("补充一张照片。", "buyer", "public")
    ]
    assert [(f.filename, f.content_type) for f in files] == [("照片.png", "image/png")]
    notes = [e.body for e in timeline if e.kind == "note"]
    assert any("说明.txt" in n for n in notes)  # the refused attachment is named for staff
    assert [m.verdict for m in mails] == ["case_opened", "threaded"]


def test_reply_threads_by_in_reply_to_without_case_number(app: App) -> None:
    number = take_in(app, a_mail(message_id="<root@example.com>")).case_number
    reply = a_mail(subject="Re: 改了标题", body="还是没有声音。", in_reply_to="<root@example.com>")
    result = take_in(app, reply)
    assert (result.verdict, result.case_number) == ("threaded", number)


def test_mail_from_a_stranger_on_a_case_becomes_an_internal_note(app: App) -> None:
    number = take_in(app, a_mail()).case_number or ""
    result = take_in(app, a_mail(sender="x@evil.example", subject=f"[{number}] hi", body="我也要"))
    assert (result.verdict, result.reason) == ("threaded", "non_party")
    _c, timeline, *_ = _case(app, number)
    assert not [e for e in timeline if e.kind == "message"]
    assert [e.visibility for e in timeline if e.kind == "note"] == ["internal"]


def test_auto_replies_bounces_and_loops_never_open_cases(app: App) -> None:
    mails = {
        "auto_reply": a_mail(headers={"Auto-Submitted": "auto-replied"}),
        "bounce": a_mail(sender="MAILER-DAEMON@mx.example", subject="Undelivered Mail"),
        "loop": a_mail(headers={"X-Kefu-Loop": "KF20261124000001@shop.example"}),
    }
    mails["self"] = a_mail(sender=MAIL.from_addr)
    for expected, raw in mails.items():
        result = take_in(app, raw)
        assert result.verdict == "ignored", expected
        assert result.reason == ("loop" if expected == "self" else expected)
        assert result.case_number is None
    with app.uow() as uow:
        records = uow.channels.mail.recent()
        assert {r.reason for r in records} == {"auto_reply", "bounce", "loop"}
        assert uow.outbox.pending_count() == 0  # nobody is answered


def test_auto_reply_to_a_case_is_noted_not_posted(app: App) -> None:
    number = take_in(app, a_mail()).case_number or ""
    auto = a_mail(subject=f"自动回复: [{number}] 耳机坏了", body="我正在休假。")
    assert take_in(app, auto).verdict == "ignored"
    _c, timeline, *_ = _case(app, number)
    assert [e.kind for e in timeline] == ["filed", "note"]


def test_empty_mail_is_rejected_with_reasons_and_answered_once_a_day_at_most(app: App) -> None:
    results = [take_in(app, a_mail(body="", subject="")) for _ in range(5)]
    assert {r.verdict for r in results} == {"rejected"}
    assert {f.field for f in results[0].fields} >= {"subject", "description"}
    with app.uow() as uow:
        answers = [
            r
            for r in uow.conn.exec_driver_sql("SELECT payload FROM outbox").scalars()
            if (json.loads(r) if isinstance(r, str) else r)["kind"] == "auto_answer"
        ]
        records = uow.channels.mail.recent()
    assert len(answers) == 3
    detail = json.loads(records[0].detail)
    assert {d["field"] for d in detail} >= {"description"}
    assert all(d["message_zh"] and d["message_en"] for d in detail)


def test_our_own_message_coming_back_is_a_loop(app: App) -> None:
    number = take_in(app, a_mail()).case_number or ""
    with app.uow() as uow:
        uow.channels.mail.add(
            message_id="<kefu.1.x@shop.example>",
            direction="outbound",
            case_id=uow.cases.get_by_number(number).id,
            peer="buyer@example.com",
            subject="Re",
            raw_sha256="0" * 64,
            raw_size=1,
            verdict="sent",
            now=app.clock.now(),
        )
        uow.commit()
    result = take_in(app, a_mail(message_id="<kefu.1.x@shop.example>"))
    assert (result.verdict, result.reason) == ("ignored", "own_message")


def test_sender_address_longer_than_its_column_is_refused_and_told(app: App) -> None:
    sender = "a" * 190 + "@example.com"  # PostgreSQL refused the case row: 451 / unseen for ever
    result = take_in(app, a_mail(sender=sender, message_id="<long-from@example.com>"))
    assert (result.verdict, [(f.field, f.code) for f in result.fields]) == (
        "rejected",
        [("from", "too_long")],
    )
    with app.uow() as uow:
        (record,) = uow.channels.mail.recent()
        payloads = [
            json.loads(r) if isinstance(r, str) else r
            for r in uow.conn.exec_driver_sql("SELECT payload FROM outbox").scalars()
        ]
    assert (record.message_id, record.reason) == ("<long-from@example.com>", "invalid")
    assert [(p["kind"], p["to"]) for p in payloads] == [("auto_answer", sender)]
    assert "200" in payloads[0]["body"]
