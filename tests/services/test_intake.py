"""Screening inside filing, on a real database: each rule accepts and refuses, routing, flags."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.bootstrap import App
from kefu.db.schema import timeline
from kefu.db.schema_deadlines import case_clocks
from kefu.db.schema_intake import buyer_flags, staff_availability
from kefu.domain.screening import PriorResolution
from kefu.domain.types import CaseKind, Category, FeedbackType, Priority
from kefu.domain.workflow import Action, Status
from kefu.services import cases as case_svc
from kefu.services import screening_admin
from kefu.services.relay import relay_outbox
from tests.builders import a_complaint, a_user, an_order, imported

QUALITY = "收到的保温杯用了三天就不保温了，倒进去的开水一小时后就变凉，和宣传的十二小时不符。"


@pytest.fixture
def world(app: App) -> dict[str, object]:
    people = {
        "buyer": a_user(app, "buyer1", "buyer"),
        "agent": a_user(app, "agent1", "agent"),
        "agent2": a_user(app, "agent2", "agent"),
        "supervisor": a_user(app, "sup", "supervisor"),
        "compliance": a_user(app, "comp1", "agent", teams=["compliance"]),
    }
    imported(
        app,
        an_order("DD0001"),
        an_order("DD0002"),
        an_order("DDOLD", paid_at="2025-10-01T10:00:00+08:00", signed_at=None, shipped_at=None),
    )
    return people


def _screening(app: App, world, number: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return screening_admin.screening_of(app.reader(), actor=world["supervisor"], number=number)


def test_an_acceptable_complaint_passes_with_its_trail_and_classification(app: App, world) -> None:
    case = a_complaint(app, world["buyer"], description=QUALITY)
    assert case.status is Status.SUBMITTED
    assert case.category is Category.QUALITY
    s = _screening(app, world, case.number)
    assert (s["outcome"], s["code"]) == ("accept", "accepted")
    assert s["trail"][0]["rule"] == "acceptance_window"
    assert s["category_source"] in ("rules", "model")
    assert s["classification_trail"]


def test_late_complaints_are_filed_then_refused_with_the_reason(app: App, world) -> None:
    case = a_complaint(app, world["buyer"], "DDOLD", description=QUALITY)
    assert case.status is Status.REJECTED
    assert not case.is_open
    assert "超过受理期限" in case.reject_reason
    assert "too late" in case.reject_reason
    with app.reader() as uow:
        kinds = uow.conn.execute(
            select(timeline.c.kind, timeline.c.actor_role).where(timeline.c.case_id == case.id)
        ).all()
    assert ("status_changed", "system") in [tuple(k) for k in kinds]
    assert _screening(app, world, case.number)["code"] == "out_of_window"
    assert case.due_at is None
    with app.reader() as uow:  # a refused case is closed: no SLA clock runs for it
        clocks = uow.conn.execute(select(case_clocks).where(case_clocks.c.case_id == case.id))
        assert clocks.all() == []


def test_matters_settled_or_pending_elsewhere_are_not_accepted(app: App, world) -> None:
    case = a_complaint(
        app, world["buyer"], description=QUALITY, prior_resolution=PriorResolution.ARBITRATION
    )
    assert case.status is Status.REJECTED
    assert _screening(app, world, case.number)["code"] == "already_elsewhere"


def test_a_repeat_with_no_new_information_is_linked_to_the_original(app: App, world) -> None:
    first = a_complaint(app, world["buyer"], description=QUALITY)
    again = a_complaint(app, world["buyer"], description=QUALITY + "！")
    assert again.status is Status.REJECTED
    s = _screening(app, world, again.number)
    assert (s["code"], s["duplicate_of"]) == ("duplicate", first.number)
    other_order = a_complaint(app, world["buyer"], "DD0002", description=QUALITY)
    assert other_order.status is Status.SUBMITTED
    new_facts = a_complaint(
        app, world["buyer"], description="商家答应补发的配件到现在也没有寄出，客服也不回复消息。"
    )
    assert new_facts.status is Status.SUBMITTED


@pytest.mark.parametrize("ending", [Action.WITHDRAW, Action.REJECT])
def test_only_a_request_ended_undecided_may_be_filed_again(app: App, world, ending: Action) -> None:
    first = a_complaint(app, world["buyer"], description=QUALITY)
    actor, params = (world["buyer"], {}) if ending is Action.WITHDRAW else (world["agent"], {})
    if ending is Action.REJECT:  # an agent screens and refuses it: handled, with a reason
        first = case_svc.act_on_case(
            app.uow(),
            actor=actor,
            number=first.number,
            action=Action.START_SCREENING,
            params={},
            expected_version=first.version,
            now=app.clock.now(),
            policy=app.policy,
        )
        params = {"reason": "材料不足"}
    ended = case_svc.act_on_case(
        app.uow(),
        actor=actor,
        number=first.number,
        action=ending,
        params=params,
        expected_version=first.version,
        now=app.clock.now(),
        policy=app.policy,
    )
    assert not ended.is_open
    again = a_complaint(app, world["buyer"], description=QUALITY + "！")
    if ending is Action.WITHDRAW:  # withdrawn: nothing was handled, so this is a new case
        assert again.status is Status.SUBMITTED
        assert _screening(app, world, again.number)["code"] == "accepted"
    else:  # refused after handling: a repeat with no new information stays a duplicate
        assert again.status is Status.REJECTED
        assert _screening(app, world, again.number)["duplicate_of"] == first.number


def test_abusive_words_are_masked_and_kept_as_evidence(app: App, world) -> None:
    rude = "你们这群傻逼，" + QUALITY
    case = a_complaint(app, world["buyer"], description=rude)
    assert case.status is Status.SUBMITTED
    assert "傻逼" not in case.description
    assert "＊" in case.description
    s = _screening(app, world, case.number)
    assert s["abusive"] is True
    assert s["original_description"] == rude
    agent_view = screening_admin.screening_of(
        app.reader(), actor=world["agent"], number=case.number
    )
    assert "original_description" not in agent_view


def test_abuse_without_a_describable_problem_is_refused(app: App, world) -> None:
    case = a_complaint(
        app, world["buyer"], subject="垃圾", description="傻逼商家傻逼客服，傻逼傻逼傻逼"
    )
    assert case.status is Status.REJECTED
    assert _screening(app, world, case.number)["code"] == "abusive"


def test_vague_complaints_are_refused(app: App, world) -> None:
    case = a_complaint(app, world["buyer"], subject="差评", description="太差了太差了太差了太差了")
    assert case.status is Status.REJECTED
    assert _screening(app, world, case.number)["code"] == "vague"


def _feedback(app: App, buyer, text: str):  # type: ignore[no-untyped-def]
    data = case_svc.FileCaseInput(
        kind=CaseKind.FEEDBACK,
        channel=case_svc.Channel.WEB,
        subject=text[:10],
        description=text,
        contact_phone="13812345678",
        feedback_type=FeedbackType.REPORT,
    )
    return case_svc.file_case(
        app.uow(), actor=buyer, data=data, now=app.clock.now(), policy=app.policy
    ).case


def test_feedback_unrelated_to_the_platform_is_refused(app: App, world) -> None:
    off_topic = _feedback(app, world["buyer"], "今天天气真好，我想去公园散步，顺便看看湖边的风景。")
    assert off_topic.status is Status.REJECTED
    assert _screening(app, world, off_topic.number)["code"] == "irrelevant"
    on_topic = _feedback(app, world["buyer"], "你们的app搜索订单很慢，希望能按店铺名称筛选订单。")
    assert on_topic.status is not Status.REJECTED


def test_counterfeit_allegations_go_to_the_compliance_queue(app: App, world) -> None:
    case = a_complaint(
        app, world["buyer"], description="收到的耳机是高仿的假货，包装印刷模糊，序列号查不到。"
    )
    assert case.is_open
    s = _screening(app, world, case.number)
    assert (s["outcome"], s["code"]) == ("compliance", "suspected_counterfeit")
    with app.reader() as uow:
        assert case.team_id == uow.people.team_by_code("compliance")
    negated = a_complaint(
        app,
        world["buyer"],
        "DD0002",
        description="这不是假货，是耳机质量有问题，右耳经常断断续续没有声音。",
    )
    assert _screening(app, world, negated.number)["outcome"] == "accept"


def test_a_buyer_with_repeated_rejections_is_flagged_for_review_never_blocked(
    app: App, world
) -> None:
    for text in ("太差了太差了太差了太差了", "垃圾垃圾垃圾垃圾垃圾垃圾", "烂烂烂烂烂烂烂烂烂烂"):
        assert a_complaint(app, world["buyer"], description=text).status is Status.REJECTED
    with app.reader() as uow:
        flags = uow.conn.execute(select(buyer_flags)).mappings().all()
    assert [(f["buyer_id"], f["status"]) for f in flags] == [(world["buyer"].user_id, "open")]
    relay_outbox(app.uow, worker_id="t", now=app.clock.now())
    with app.reader() as uow:
        notes = uow.notifications.for_user(world["supervisor"].user_id)
    assert any("复核" in n["title"] for n in notes)
    still_heard = a_complaint(app, world["buyer"], "DD0002", description=QUALITY)
    assert still_heard.status is Status.SUBMITTED
    a_complaint(app, world["buyer"], description="差差差差差差差差差差差差")
    with app.reader() as uow:
        assert len(uow.conn.execute(select(buyer_flags)).all()) == 1  # one open flag, not one more
    screening_admin.review_buyer_flag(
        app.uow(),
        actor=world["supervisor"],
        flag_id=flags[0]["id"],
        decision="cleared",
        now=app.clock.now(),
    )
    assert screening_admin.buyer_flags(app.reader(), actor=world["supervisor"], status="open") == []


def test_safety_and_repeat_contacts_raise_priority(app: App, world) -> None:
    burn = a_complaint(
        app, world["buyer"], description="充电器使用时突然冒烟起火，把我的手烫伤了，起了水泡。"
    )
    assert burn.priority is Priority.URGENT
    calm = a_complaint(app, world["buyer"], "DD0002", description=QUALITY)
    assert calm.priority is Priority.NORMAL


def _on_duty(app: App, world, username: str, **kw: object) -> None:  # type: ignore[no-untyped-def]
    params = {
        "on_duty": True,
        "shift_start": "00:00",
        "shift_end": "23:59",
        "working_days_only": False,
    }
    params.update(kw)
    screening_admin.set_availability(
        app.uow(),
        actor=world["supervisor"],
        username=username,
        **params,  # type: ignore[arg-type]
    )


def _loads(app: App) -> dict[int, int]:
    with app.reader() as uow:
        rows = uow.conn.execute(select(staff_availability)).mappings().all()
    return {r["user_id"]: r["open_assigned"] for r in rows}


def test_new_cases_go_to_the_least_loaded_agent_on_duty(app: App, world) -> None:
    _on_duty(app, world, "agent1")
    _on_duty(app, world, "agent2")
    texts = [
        QUALITY,
        "快递三天没有更新物流信息，客服说在查但一直没有结果。",
        "买了两件只发来一件，另一件显示已经发货。",
    ]
    cases = [
        a_complaint(app, world["buyer"], f"DD000{1 + i % 2}", description=t)
        for i, t in enumerate(texts)
    ]
    assignees = [c.assignee_id for c in cases]
    a1, a2 = world["agent"].user_id, world["agent2"].user_id
    assert assignees == [a1, a2, a1]
    assert _loads(app) == {a1: 2, a2: 1}
    # Closing a case takes it off the agent's load; an agent who is off gets nothing new.
    case = cases[0]
    for action, params in ((Action.START_SCREENING, {}), (Action.REJECT, {"reason": "测试"})):
        case = case_svc.act_on_case(
            app.uow(),
            actor=world["agent"],
            number=case.number,
            action=action,
            params=params,
            expected_version=case.version,
            now=app.clock.now(),
            policy=app.policy,
        )
    assert _loads(app) == {a1: 1, a2: 1}
    _on_duty(app, world, "agent2", on_duty=False)
    nxt = a_complaint(
        app,
        world["buyer"],
        "DD0002",
        description="客服答应三天内给我补发配件，到现在一个星期了还没有消息。",
    )
    assert nxt.assignee_id == a1


def test_nobody_on_shift_leaves_the_case_in_the_team_queue(app: App, world) -> None:
    _on_duty(app, world, "agent1", shift_start="03:00", shift_end="04:00")  # 10:00 local now
    case = a_complaint(app, world["buyer"], description=QUALITY)
    assert case.assignee_id is None
    assert case.team_id is not None


def test_category_corrections_are_recorded_and_exported(app: App, world) -> None:
    case = a_complaint(app, world["buyer"], description=QUALITY)
    version = screening_admin.recategorize(
        app.uow(),
        actor=world["agent"],
        number=case.number,
        category=Category.NOT_AS_DESCRIBED,
        expected_version=case.version,
        now=app.clock.now(),
    )
    assert version == case.version + 1
    rows = screening_admin.export_overrides(app.reader(), actor=world["supervisor"])
    assert [(r["label"], r["was"]) for r in rows] == [("描述不符/虚假宣传", "商品质量")]
    assert QUALITY in rows[0]["text"]
    with pytest.raises(screening_admin.VersionConflict):
        screening_admin.recategorize(
            app.uow(),
            actor=world["agent"],
            number=case.number,
            category=Category.OTHER,
            expected_version=case.version,
            now=app.clock.now(),
        )


def test_screening_runs_for_staff_filing_on_a_buyers_behalf(app: App, world) -> None:
    data = case_svc.FileCaseInput(
        kind=CaseKind.COMPLAINT,
        channel=case_svc.Channel.PHONE,
        subject="来电投诉",
        description=QUALITY,
        order_no="DDOLD",
        contact_phone="13812345678",
    )
    filed = case_svc.file_case(
        app.uow(), actor=world["agent"], data=data, now=app.clock.now(), policy=app.policy
    )
    assert filed.case.status is Status.REJECTED
    assert filed.case.buyer_id != world["agent"].user_id  # filed for the order's buyer
    assert _screening(app, world, filed.case.number)["code"] == "out_of_window"
