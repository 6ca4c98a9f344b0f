"""SLA administration: deadline preview, seller agreements, human review of automatic decisions."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from kefu.domain import rbac
from kefu.domain.clock_rules import CLOCK_RULES
from kefu.domain.deadline_events import ReviewRequested
from kefu.domain.errors import FieldError, InvalidInput, NotFound
from kefu.domain.rbac import Permission
from kefu.domain.seller_agreement import SellerAgreement, validate_agreement
from kefu.domain.sla_clock import start_clock
from kefu.domain.types import Actor, CaseKind, Category, Channel, Priority
from kefu.services.calendars import calendar_for, calendar_keys, invalidate
from kefu.services.cases import load_visible
from kefu.services.deadlines import effective_policy
from kefu.services.sla_policies import stored_version
from kefu.services.unit_of_work import UnitOfWork

TERMS = tuple(f.name for f in fields(SellerAgreement) if f.name != "seller_id")


def _shop(uow: UnitOfWork, code: str, field_name: str) -> int:
    shop_id = uow.deadlines.shop_id(code)
    if shop_id is None:
        raise InvalidInput(
            [FieldError(field_name, "unknown_shop", f"没有店铺 {code}", f"no shop {code}")]
        )
    return shop_id


def _starts(name: str) -> str:
    rule = CLOCK_RULES.get(name)
    if rule is None or (not rule.at_filing and not rule.starts_on):
        return "after_sales_state"  # no current lifecycle state starts it (see docs/deadlines.md)
    if rule.at_filing:
        return "filed"
    return ",".join(sorted(s.value for s in rule.starts_on))


def preview(
    uow: UnitOfWork,
    *,
    actor: Actor,
    kind: CaseKind,
    category: Category | None,
    priority: Priority | None,
    channel: Channel | None,
    seller: str | None,
    at: datetime | None,
    now: datetime,
    draft: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """Every due time a case filed at ``at`` would get (each clock as if started then).

    ``draft`` (policy id, version): as if that stored version were in force at ``at`` (by
    default its effective_from, or now if later) — the check before publishing it.
    """
    rbac.require(actor, Permission.PREVIEW_SLA)
    with uow:
        shop_id = _shop(uow, seller, "seller") if seller else None
        candidate = stored_version(uow, *draft) if draft else None
        if at is None:
            at = max(now, candidate.effective_from) if candidate else now
        eff = effective_policy(
            uow,
            kind=kind,
            category=category,
            priority=priority,
            channel=channel,
            shop_id=shop_id,
            at=at,
            draft=candidate,
        )
        if eff is None:
            raise InvalidInput(
                [FieldError("kind", "no_policy", "没有适用的 SLA 策略", "no SLA policy applies")]
            )
        clocks = []
        for spec in eff.clocks:
            cal = calendar_for(uow, calendar_keys(spec.party, shop_id, None))
            state = start_clock(spec, at, cal)
            clocks.append(
                {
                    "clock": spec.name,
                    "party": spec.party.value,
                    "measure": spec.measure.value,
                    "amount": spec.amount,
                    "rule": spec.rule,
                    "starts_on": _starts(spec.name),
                    "due_at": state.due_at.isoformat(),
                    "warn_at": state.warn_at.isoformat(),
                    "provisional": state.provisional,
                    "calendar_facts": list(state.facts),
                    "on_warning": [a.value for a in spec.on_warning],
                    "on_breach": [a.value for a in spec.on_breach],
                    "on_timeout": spec.on_timeout.value,
                }
            )
        p = eff.policy
        selected = candidate is not None and (p.id, p.version) == (candidate.id, candidate.version)
        if candidate is not None and selected:
            p = candidate  # its own effective_from, not the instant it was previewed at
        answer: dict[str, Any] = {
            "policy": {
                "id": p.id,
                "version": p.version,
                "applied": eff.label,
                "effective_from": p.effective_from.isoformat(),
            },
            "at": at.isoformat(),
            "provisional": any(c["provisional"] for c in clocks),
            "clocks": clocks,
        }
        if candidate is not None:
            answer["draft"] = {
                "id": candidate.id,
                "version": candidate.version,
                "published": candidate.published_at is not None,
                # False: a more specific policy wins for these case facts, or it does not match.
                "selected": selected,
            }
        return answer


def set_agreement(
    uow: UnitOfWork, *, actor: Actor, shop_code: str, terms: dict[str, int | None], now: datetime
) -> dict[str, Any]:
    """Record a new version of a seller's agreement; only terms better for the buyer pass."""
    rbac.require(actor, Permission.MANAGE_AGREEMENTS)
    with uow:
        shop_id = _shop(uow, shop_code, "shop")
        agreement = SellerAgreement(seller_id=shop_id, **{k: terms.get(k) for k in TERMS})
        errors = validate_agreement(agreement)
        if errors:
            raise InvalidInput(errors)
        version = uow.deadlines.add_agreement(agreement, actor.user_id, now)
        uow.commit()
        invalidate(uow)
        return {"shop": shop_code, "version": version, **{k: getattr(agreement, k) for k in TERMS}}


def get_agreement(uow: UnitOfWork, *, actor: Actor, shop_code: str) -> dict[str, Any]:
    """The current agreement; sellers may read their own shop's, staff any."""
    with uow:
        shop_id = _shop(uow, shop_code, "shop")
        if not (actor.is_staff or actor.shop_id == shop_id):
            rbac.require(actor, Permission.MANAGE_AGREEMENTS)
        versions = uow.deadlines.agreements(shop_id)
        if not versions:
            return {"shop": shop_code, "version": 0, **dict.fromkeys(TERMS)}
        agreement, version, created = versions[-1]
        return {
            "shop": shop_code,
            "version": version,
            "recorded_at": created.isoformat(),
            **{k: getattr(agreement, k) for k in TERMS},
        }


def request_review(
    uow: UnitOfWork, *, actor: Actor, number: str, decision_id: int, reason: str, now: datetime
) -> None:
    """The buyer asks a person to review an automatic decision (PIPL 24); staff are told."""
    rbac.require(actor, Permission.REQUEST_REVIEW)
    with uow:
        case = load_visible(uow, actor, number)
        assert case.id is not None
        if actor.user_id != case.buyer_id:
            raise NotFound("案件 case", number)
        entries = uow.records.timeline(case.id, include_internal=False)
        if not any(e.id == decision_id and e.kind == "auto_decision" for e in entries):
            raise InvalidInput(
                [
                    FieldError(
                        "decision_id",
                        "not_automatic",
                        "该记录不是本案的自动决定",
                        "that entry is not an automatic decision of this case",
                    )
                ]
            )
        text = reason.strip()[:2000] or "请求人工复核 human review requested"
        case.events.append(
            ReviewRequested(now, actor.user_id, "buyer", decision_id=decision_id, text=text)
        )
        case.updated_at = now
        uow.touch_case(case)
        uow.outbox.add(
            "review_requested",
            case.id,
            {
                "event": "review_requested",
                "case_number": case.number,
                "actor_id": actor.user_id,
                "audiences": ["assignee", "team", "users"],
                "user_ids": uow.deadlines.supervisor_ids(),
                "assignee_id": case.assignee_id,
                "team_id": case.team_id,
                "title": f"案件 {case.number} 买家请求人工复核自动决定 / "
                f"Buyer asks for human review on case {case.number}",
                "body": text[:500],
            },
            now,
        )
        uow.commit()
