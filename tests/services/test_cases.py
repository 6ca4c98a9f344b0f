"""Case services on a real database: filing, transitions, versions, idempotency, outbox."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from kefu.bootstrap import App
from kefu.domain.errors import (
    IdempotencyMismatch,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from kefu.domain.types import CaseKind, Category, Channel, FeedbackType
from kefu.domain.workflow import Action, Status
from kefu.services import cases as case_svc
from kefu.services import evidence as evidence_svc
from kefu.services import messages as message_svc
from kefu.services import views
from kefu.services.relay import relay_outbox
from tests.builders import a_complaint, a_user, an_order, imported

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world(app: App) -> dict[str, object]:
    people = {
        "buyer": a_user(app, "buyer1", "buyer"),
        "other_buyer": a_user(app, "buyer2", "buyer"),
        "seller": a_user(app, "seller1", "seller", shop="shop-a"),
        "other_seller": a_user(app, "seller2", "seller", shop="shop-b"),
        "agent": a_user(app, "agent1", "agent"),
        "tech": a_user(app, "tech1", "tech_support", teams=["tech"]),
        "supervisor": a_user(app, "sup", "supervisor"),
    }
    imported(app, an_order("DD0001"), an_order("DD0002", buyer="buyer2", shop="shop-b"))
    return people


def _act(app: App, actor, case, action: Action, **params: str):  # type: ignore[no-untyped-def]
    return case_svc.act_on_case(
        app.uow(),
        actor=actor,
        number=case.number,
        action=action,
        params=params,
        expected_version=case.version,
        now=app.clock.now(),
        policy=app.policy,
    )


def test_filing_writes_case_timeline_and_outbox_in_one_commit(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    assert case.number.startswith("KF20261124")
    assert case.number.endswith("000001")
    assert case.status is Status.SUBMITTED
    assert case.version == 1
    assert case.due_at == app.clock.now() + timedelta(hours=12)  # first contact, seed 001
    with app.reader() as uow:
        entries = uow.records.timeline(case.id, include_internal=True)
        outbox = uow.outbox.for_case(case.id)
    assert [e.kind for e in entries] == ["filed"]
    assert [o.topic for o in outbox] == ["filed"]
    assert outbox[0].payload["case_number"] == case.number


def test_numbers_count_per_shanghai_day(app: App, world, clock) -> None:  # type: ignore[no-untyped-def]
    first = a_complaint(app, world["buyer"])
    clock.advance(timedelta(hours=14))  # 2026-11-24 16:00 UTC = 11-25 00:00 in Shanghai
    second = a_complaint(app, world["buyer"])
    assert first.number == "KF20261124000001"
    assert second.number == "KF20261125000001"


def test_a_buyer_cannot_file_against_someone_elses_order(app: App, world) -> None:
    with pytest.raises(InvalidInput) as err:
        a_complaint(app, world["buyer"], order_no="DD0002")
    assert [f.field for f in err.value.fields] == ["order_no"]
    with pytest.raises(InvalidInput):
        a_complaint(app, world["buyer"], order_no="NOPE404")


def test_every_missing_element_is_listed_at_once(app: App, world) -> None:
    with pytest.raises(InvalidInput) as err:
        a_complaint(
            app,
            world["buyer"],
            subject="",
            description="坏了",
            contact_phone="",
            order_no=None,
            line_nos=(),
        )
    assert {f.field for f in err.value.fields} == {
        "subject",
        "description",
        "contact_phone",
        "order_no",
    }


def test_feedback_needs_no_order_but_a_type(app: App, world) -> None:
    data = case_svc.FileCaseInput(
        kind=CaseKind.FEEDBACK,
        channel=Channel.APP,
        subject="建议",
        description="希望订单页可以直接联系快递员，方便改派送时间。",
        contact_email="a@example.com",
        feedback_type=FeedbackType.SUGGESTION,
    )
    filed = case_svc.file_case(
        app.uow(), actor=world["buyer"], data=data, now=app.clock.now(), policy=app.policy
    )
    assert filed.case.category.value == "功能建议"


def test_idempotency_key_returns_the_same_case(app: App, world) -> None:
    data = case_svc.FileCaseInput(
        kind=CaseKind.COMPLAINT,
        channel=Channel.API,
        subject="耳机坏了",
        description="右耳没有声音，已经重新配对多次。",
        order_no="DD0001",
        contact_phone="13812345678",
    )
    kw = {
        "actor": world["buyer"],
        "data": data,
        "policy": app.policy,
        "idempotency_key": "k-1",
        "request_hash": "h1",
    }
    first = case_svc.file_case(app.uow(), now=app.clock.now(), **kw)
    again = case_svc.file_case(app.uow(), now=app.clock.now(), **kw)
    assert first.created
    assert not again.created
    assert again.case.number == first.case.number
    with pytest.raises(IdempotencyMismatch):
        case_svc.file_case(app.uow(), now=app.clock.now(), **{**kw, "request_hash": "h2"})
    page = views.list_cases(
        app.reader(), actor=world["buyer"], query=views.ListQuery(), now=app.clock.now()
    )
    assert page.count == 1


def test_the_full_lifecycle_with_the_right_roles(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    steps = [
        ("agent", Action.START_SCREENING, {}),
        ("agent", Action.ACCEPT, {}),
        ("agent", Action.FORWARD_TO_SELLER, {}),
        ("seller", Action.SELLER_RESPOND, {"body": "可以退货退款"}),
        ("buyer", Action.AGREE, {}),
        ("seller", Action.EXECUTE, {}),
        ("seller", Action.COMPLETE_EXECUTION, {}),
        ("buyer", Action.CONFIRM, {}),
        ("agent", Action.CLOSE, {}),
    ]
    for who, action, params in steps:
        case = _act(app, world[who], case, action, **params)
    assert case.status is Status.CLOSED
    assert not case.is_open
    assert case.due_at is None
    assert case.ended_at == app.clock.now()
    with app.reader() as uow:
        kinds = [e.kind for e in uow.records.timeline(case.id, include_internal=True)]
    assert kinds == ["filed"] + ["status_changed"] * len(steps)


def test_a_forbidden_transition_names_state_and_allowed_actions(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    with pytest.raises(InvalidTransition) as err:
        _act(app, world["agent"], case, Action.CLOSE)
    assert err.value.extra["current_status"] == "submitted"
    assert "start_screening" in err.value.extra["allowed_actions"]
    with pytest.raises(InvalidTransition):
        _act(app, world["buyer"], case, Action.START_SCREENING)


def test_a_stale_version_is_a_conflict(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    _act(app, world["agent"], case, Action.START_SCREENING)
    with pytest.raises(VersionConflict) as err:
        _act(app, world["agent"], case, Action.START_SCREENING)  # still version 1
    assert err.value.extra == {"expected_version": 1, "current_version": 2}


def test_concurrent_actions_on_one_version_never_both_win(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    case = _act(app, world["agent"], case, Action.START_SCREENING)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def fire(action: Action, params: dict[str, str]) -> None:
        barrier.wait()
        try:
            _act(app, world["agent"], case, action, **params)
            results.append("ok")
        except (VersionConflict, InvalidTransition):
            results.append("conflict")

    threads = [
        threading.Thread(target=fire, args=(Action.ACCEPT, {})),
        threading.Thread(target=fire, args=(Action.REJECT, {"reason": "重复投诉"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    with app.reader() as uow:
        final = uow.cases.get(case.id)
        changes = [
            e
            for e in uow.records.timeline(case.id, include_internal=True)
            if e.kind == "status_changed"
        ]
    assert final.version == 3
    assert len(changes) == 2


def test_visibility_and_masking(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    for outsider in (world["other_buyer"], world["other_seller"], world["tech"]):
        with pytest.raises(NotFound):
            views.get_case_view(app.uow(), actor=outsider, number=case.number, now=app.clock.now())
    seller_view = views.get_case_view(
        app.uow(), actor=world["seller"], number=case.number, now=app.clock.now()
    )
    assert seller_view.contact_phone == "138****5678"
    assert seller_view.masked
    assert seller_view.order is not None
    assert seller_view.order["buyer_name"] == "刘*"
    agent_view = views.get_case_view(
        app.uow(), actor=world["agent"], number=case.number, now=app.clock.now()
    )
    assert agent_view.contact_phone == "13812345678"
    with app.reader() as uow:
        log = uow.records.pii_accesses(case.id)
    assert [row["actor_id"] for row in log] == [world["agent"].user_id]


def test_internal_notes_stay_internal(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    message_svc.post_message(
        app.uow(),
        actor=world["agent"],
        number=case.number,
        body="买家上月也投诉过同款",
        internal=True,
        now=app.clock.now(),
    )
    message_svc.post_message(
        app.uow(),
        actor=world["seller"],
        number=case.number,
        body="您好，请提供照片",
        internal=False,
        now=app.clock.now(),
    )
    with pytest.raises(PermissionDenied):
        message_svc.post_message(
            app.uow(),
            actor=world["buyer"],
            number=case.number,
            body="note",
            internal=True,
            now=app.clock.now(),
        )
    buyer_sees = views.case_timeline(app.reader(), actor=world["buyer"], number=case.number)
    agent_sees = views.case_timeline(app.reader(), actor=world["agent"], number=case.number)
    assert [e.kind for e in buyer_sees] == ["filed", "message"]
    assert [e.kind for e in agent_sees] == ["filed", "note", "message"]
    with app.reader() as uow:
        assert uow.cases.get(case.id).first_response_at == app.clock.now()


def test_evidence_is_stored_by_content_and_typed_from_bytes(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    record = evidence_svc.add_evidence(
        app.uow(),
        app.storage,
        actor=world["buyer"],
        number=case.number,
        filename="../照片.jpg",
        data=PNG,
        now=app.clock.now(),
        policy=app.policy,
    )
    assert record.content_type == "image/png"
    assert record.filename == ".._照片.jpg"
    assert app.storage.get(record.sha256) == PNG
    with pytest.raises(InvalidInput) as err:
        evidence_svc.add_evidence(
            app.uow(),
            app.storage,
            actor=world["buyer"],
            number=case.number,
            filename="x.jpg",
            data=b"MZ\x90\x00",
            now=app.clock.now(),
            policy=app.policy,
        )
    assert err.value.fields[0].code == "unsupported_type"
    big = PNG + b"\x00" * app.policy.max_upload_bytes["image"]
    with pytest.raises(InvalidInput) as err:
        evidence_svc.add_evidence(
            app.uow(),
            app.storage,
            actor=world["buyer"],
            number=case.number,
            filename="big.png",
            data=big,
            now=app.clock.now(),
            policy=app.policy,
        )
    assert err.value.fields[0].code == "too_large"


def test_relay_delivers_each_outbox_row_once(app: App, world) -> None:
    case = a_complaint(app, world["buyer"])
    case = _act(app, world["agent"], case, Action.START_SCREENING)
    sent = relay_outbox(app.uow, worker_id="t", now=app.clock.now())
    assert sent == 2
    assert relay_outbox(app.uow, worker_id="t", now=app.clock.now()) == 0
    with app.reader() as uow:
        buyer_notes = uow.notifications.for_user(world["buyer"].user_id)
        agent_notes = uow.notifications.for_user(world["agent"].user_id)
        assert uow.outbox.pending_count() == 0
    assert len(buyer_notes) == 1
    assert "审核中" in buyer_notes[0]["title"]
    assert len(agent_notes) == 1  # the team heard of the filing; not of the agent's own action


def test_queue_pages_by_due_time_within_scope(app: App, world, clock) -> None:  # type: ignore[no-untyped-def]
    numbers = []
    # One category and one order each (a third complaint on one order is urgent as a repeat
    # contact): one SLA policy, so due order is filing order.
    imported(app, *(an_order(f"DD01{i}") for i in range(5)))
    for i in range(5):
        numbers.append(
            a_complaint(app, world["buyer"], f"DD01{i}", category=Category.QUALITY).number
        )
        clock.advance(timedelta(minutes=1))
    seen: list[str] = []
    cursor = None
    while True:
        page = views.list_cases(
            app.reader(),
            actor=world["agent"],
            now=app.clock.now(),
            query=views.ListQuery(open_only=True, limit=2, cursor=cursor),
        )
        seen += [c.number for c in page.items]
        assert page.count == 5
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == numbers
    tech = views.list_cases(
        app.reader(), actor=world["tech"], now=app.clock.now(), query=views.ListQuery()
    )
    assert tech.items == []
    clock.advance(timedelta(hours=12, minutes=-2))  # first contact is due 12 h after filing
    overdue = views.list_cases(
        app.reader(),
        actor=world["supervisor"],
        now=app.clock.now(),
        query=views.ListQuery(overdue=True),
    )
    assert [c.number for c in overdue.items] == numbers[:3]
