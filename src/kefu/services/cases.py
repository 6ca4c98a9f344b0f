"""Case intents: file a case, act on it, assign it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from kefu.analysis.search_terms import index_terms
from kefu.domain import rbac
from kefu.domain.case import MAX_DESCRIPTION, Case, case_number, validate_contact
from kefu.domain.errors import (
    FieldError,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from kefu.domain.orders import SHANGHAI
from kefu.domain.rbac import Permission
from kefu.domain.screening import PriorResolution
from kefu.domain.types import Actor, CaseKind, Category, Channel, FeedbackType, Priority, Role
from kefu.domain.workflow import LIFECYCLES, UNDECIDED_ENDINGS, Action
from kefu.services import deadlines, intake
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

ORDER_REQUIRED = {CaseKind.COMPLAINT, CaseKind.DISPUTE, CaseKind.AFTERSALES}


@dataclass(frozen=True)
class FileCaseInput:
    kind: CaseKind
    channel: Channel
    subject: str
    description: str
    order_no: str | None = None
    line_nos: tuple[int, ...] = ()
    contact_phone: str = ""
    contact_email: str = ""
    category: Category | None = None
    priority: Priority | None = None
    feedback_type: FeedbackType | None = None
    buyer_ref: str | None = None  # staff filing on a buyer's behalf (phone, email)
    prior_resolution: PriorResolution = PriorResolution.NONE


@dataclass(frozen=True)
class FiledCase:
    """The filed case (or the earlier one an Idempotency-Key replays), with the codes of its shop
    and team, read in the filing transaction so the reply needs no second one."""

    case: Case
    created: bool
    shop: str | None = None
    team: str | None = None


def order_not_found_or_not_yours() -> FieldError:
    """The one answer for a missing order and someone else's: neither reveals the other."""
    return FieldError(
        "order_no",
        "not_found_or_not_yours",
        "订单不存在，或不是您在本平台的订单",
        "no such order on this platform, or it is not yours",
    )


def _validate(data: FileCaseInput, policy: CasePolicy) -> list[FieldError]:
    errors: list[FieldError] = []
    subject = data.subject.strip()
    if not subject:
        errors.append(FieldError("subject", "required", "请填写标题", "subject is required"))
    elif len(subject) > 200:
        errors.append(
            FieldError(
                "subject",
                "too_long",
                "标题不能超过 200 个字符",
                "subject must be at most 200 characters",
            )
        )
    description = data.description.strip()
    if len(description) < policy.min_description_chars:
        errors.append(
            FieldError(
                "description",
                "too_short",
                f"请具体描述问题（至少 {policy.min_description_chars} 个字）："
                "时间、商品、发生了什么",
                f"describe the problem (at least {policy.min_description_chars} characters): "
                "when, which item, what happened",
            )
        )
    elif len(description) > MAX_DESCRIPTION:
        errors.append(
            FieldError(
                "description",
                "too_long",
                f"描述不能超过 {MAX_DESCRIPTION} 个字符",
                f"description must be at most {MAX_DESCRIPTION} characters",
            )
        )
    errors.extend(validate_contact(data.contact_phone, data.contact_email))
    if data.kind in ORDER_REQUIRED and not data.order_no:
        errors.append(
            FieldError(
                "order_no",
                "required",
                "投诉、纠纷和售后申请须提供订单号（购买凭证）",
                "complaints, disputes and after-sales requests need an order "
                "number (proof of purchase)",
            )
        )
    if data.kind is CaseKind.FEEDBACK and data.feedback_type is None:
        errors.append(
            FieldError(
                "feedback_type",
                "required",
                "反馈须选择类型：suggestion（建议）或 report（举报）",
                "feedback needs a type: suggestion or report",
            )
        )
    return errors


def file_case(
    uow: UnitOfWork,
    *,
    actor: Actor,
    data: FileCaseInput,
    now: datetime,
    policy: CasePolicy,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> FiledCase:
    """Validate and open a case in one transaction; a repeated Idempotency-Key returns the first."""
    on_behalf = not actor.has(Role.BUYER)
    rbac.require(actor, Permission.FILE_ON_BEHALF if on_behalf else Permission.FILE_CASE)
    errors = _validate(data, policy)
    subject, description = data.subject.strip(), data.description.strip()
    # The words are analysed before the write transaction: CPU work never holds the lock.
    words = intake.analyze(subject, description) if not errors else None
    with uow:
        if idempotency_key:
            earlier = _replay(uow, actor, idempotency_key, request_hash)
            if earlier is not None:
                return earlier
        order_id = shop_id = None
        stored = None
        buyer_id = actor.user_id
        if data.order_no:
            try:
                stored = uow.orders.get_by_no(data.order_no)
            except NotFound:
                stored = None
            owns = stored is not None and (on_behalf or stored.order.buyer_ref == actor.buyer_ref)
            if stored is None or not owns:
                errors.append(order_not_found_or_not_yours())
            else:
                order_id, shop_id = stored.id, stored.shop_id
                known = {ln.line_no for ln in stored.order.lines}
                missing = [n for n in data.line_nos if n not in known]
                if missing:
                    errors.append(
                        FieldError(
                            "line_nos",
                            "unknown_line",
                            f"订单中没有这些商品行：{missing}",
                            f"the order has no lines {missing}",
                        )
                    )
                if on_behalf:
                    buyer = uow.people.user_by_buyer_ref(stored.order.buyer_ref)
                    if buyer is None:
                        buyer_id = uow.people.add_user(
                            username=f"buyer-{stored.order.buyer_ref}",
                            display_name=stored.order.buyer_name or stored.order.buyer_ref,
                            password_hash="",
                            roles=frozenset({Role.BUYER}),
                            shop_id=None,
                            buyer_ref=stored.order.buyer_ref,
                            phone=data.contact_phone,
                            email=data.contact_email,
                            now=now,
                        )
                    else:
                        buyer_id = buyer.id
        elif on_behalf:
            errors.append(
                FieldError(
                    "order_no",
                    "required",
                    "代客登记须提供订单号以确定买家",
                    "filing for a buyer needs the order number",
                )
            )
        if errors or words is None:
            raise InvalidInput(errors)

        assessment = intake.assess(
            uow,
            words,
            buyer_id=buyer_id,
            order_id=order_id,
            order=stored.order if order_id is not None and stored is not None else None,
            kind=data.kind,
            line_nos=tuple(data.line_nos),
            chosen_category=data.category
            or (Category.SUGGESTION if data.feedback_type is FeedbackType.SUGGESTION else None),
            chosen_priority=data.priority,
            prior_resolution=data.prior_resolution,
            now=now,
            policy=policy.screening,
            default_team=policy.default_team,
        )
        day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
        seq = uow.cases.next_number_seq(day)
        team_code: str | None = assessment.team_code
        team_id = uow.people.team_by_code(assessment.team_code)
        if team_id is None:  # a routing target that does not exist yet falls back, never fails
            team_code = policy.default_team
            team_id = uow.people.team_by_code(policy.default_team)
        if team_id is None:
            team_code = None
        case = Case(
            id=None,
            number=case_number(day, seq),
            kind=data.kind,
            channel=data.channel,
            category=assessment.category,
            priority=assessment.priority.priority,
            status=LIFECYCLES[data.kind].initial,
            buyer_id=buyer_id,
            subject=assessment.subject,
            description=assessment.description,
            created_at=now,
            updated_at=now,
            feedback_type=data.feedback_type,
            order_id=order_id,
            order_no=data.order_no,
            line_nos=tuple(data.line_nos),
            shop_id=shop_id,
            team_id=team_id,
            contact_phone=data.contact_phone.strip(),
            contact_email=data.contact_email.strip(),
            due_at=now + policy.first_response,
        )
        case.record_filed(actor)
        intake.apply_assessment(uow, case, assessment, now=now, reopen_window=policy.reopen_window)
        # SLA clocks (issue 4) are planned first so the queue's due time goes in with the INSERT;
        # a case screening refused is closed and runs no clock.
        clocks = deadlines.filing_clocks(uow, case, now) if case.is_open else []
        if not case.is_open:
            case.due_at = None
        uow.add_case(case)
        assert case.id is not None
        deadlines.add_filing_clocks(uow, case, clocks)
        intake.record_assessment(
            uow, case, assessment, original=(subject, description), now=now, policy=policy.screening
        )
        uow.search.index_case(
            case.id,
            index_terms(case.subject, case.description, case.number, case.order_no),
        )
        try:
            if idempotency_key:
                uow.records.remember_idempotency(
                    actor.user_id, idempotency_key, request_hash, case.id, now
                )
            uow.commit()
        except IntegrityError:
            if not idempotency_key:
                raise
            # A concurrent retry with the same key won the race (PostgreSQL: its INSERT waited
            # for ours to commit, then failed): answer with its case.
            uow.rollback()
            earlier = _replay(uow, actor, idempotency_key, request_hash)
            if earlier is None:
                raise
            return earlier
        shop_code = stored.order.shop_code if stored is not None and order_id else None
        return FiledCase(case, True, shop_code, team_code)


def _replay(uow: UnitOfWork, actor: Actor, key: str, request_hash: str) -> FiledCase | None:
    found = uow.records.idempotent_case(actor.user_id, key)
    if found is None:
        return None
    case_id, stored_hash = found
    if stored_hash != request_hash:
        raise IdempotencyMismatch()
    case = uow.cases.get(case_id)
    shop = uow.people.shop_by_id(case.shop_id).code if case.shop_id is not None else None
    team = uow.people.team_code(case.team_id) if case.team_id is not None else None
    return FiledCase(case, False, shop, team)


def load_visible(uow: UnitOfWork, actor: Actor, number: str) -> Case:
    """Load a case the actor may see; an invisible case looks exactly like a missing one."""
    case = uow.cases.get_by_number(number)
    if not rbac.can_view_case(
        actor,
        buyer_id=case.buyer_id,
        shop_id=case.shop_id,
        team_id=case.team_id,
        assignee_id=case.assignee_id,
    ):
        raise NotFound("案件 case", number)
    return case


def act_on_case(
    uow: UnitOfWork,
    *,
    actor: Actor,
    number: str,
    action: Action,
    params: dict[str, str],
    expected_version: int,
    now: datetime,
    policy: CasePolicy,
) -> Case:
    """Fire a lifecycle action; the transition table decides, the version check guards races."""
    rbac.require(actor, Permission.ACT_ON_CASE)
    with uow:
        case = load_visible(uow, actor, number)
        if case.version != expected_version:
            raise VersionConflict(expected_version, case.version)
        case.apply(actor, action, params, now, policy.reopen_window)
        if action in UNDECIDED_ENDINGS:
            forget_request(uow, case)
        if not case.is_open:
            case.due_at = None
        elif case.due_at is None:
            case.due_at = now + policy.first_response
        deadlines.on_transition(uow, case, now)  # move SLA clocks with the status (issue 4)
        uow.save_case(case, expected_version)
        uow.commit()
        return case


def forget_request(uow: UnitOfWork, case: Case) -> None:
    """A request ended undecided leaves the duplicate index: filed again, it is a new case."""
    assert case.id is not None
    uow.intake.forget_fingerprint(case.id)


def assign_case(
    uow: UnitOfWork,
    *,
    actor: Actor,
    number: str,
    assignee_username: str | None,
    team_code: str | None,
    expected_version: int,
    now: datetime,
) -> Case:
    """Give the case to a person and/or team; agents assign only within their own teams."""
    rbac.require(actor, Permission.ASSIGN_CASE)
    with uow:
        case = load_visible(uow, actor, number)
        team_id = case.team_id
        if team_code is not None:
            team_id = uow.people.team_by_code(team_code)
            if team_id is None:
                raise InvalidInput(
                    [FieldError("team", "unknown", f"没有团队 {team_code}", f"no team {team_code}")]
                )
        assignee_id = None
        if assignee_username:
            assignee = uow.people.user_by_username(assignee_username)
            if assignee is None or not assignee.roles & rbac.ASSIGNABLE_ROLES:
                raise InvalidInput(
                    [
                        FieldError(
                            "assignee",
                            "unknown",
                            f"没有可分配的客服 {assignee_username}",
                            f"no staff member {assignee_username}",
                        )
                    ]
                )
            if (
                team_id is not None
                and team_id not in assignee.team_ids
                and not assignee.roles & {Role.SUPERVISOR, Role.ADMIN}
            ):
                raise InvalidInput(
                    [
                        FieldError(
                            "assignee",
                            "not_in_team",
                            "该客服不在案件所属团队",
                            "not in the case's team",
                        )
                    ]
                )
            assignee_id = assignee.id
        if not rbac.can(actor, Permission.SEE_ALL_CASES) and team_id not in actor.team_ids:
            raise PermissionDenied("只能在自己的团队内分配", "agents assign within their teams")
        case.assign(actor, assignee_id, team_id, now)
        uow.save_case(case, expected_version)
        uow.commit()
        return case
