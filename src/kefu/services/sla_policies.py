"""SLA policy versions as data: admins draft, list and publish; a published row never changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import structlog

from kefu.db.clock_rows import spec_to_json
from kefu.db.sla_policies import PolicyVersion
from kefu.domain import rbac
from kefu.domain.errors import DomainError, FieldError, InvalidInput, NotFound
from kefu.domain.rbac import Permission
from kefu.domain.sla import SlaPolicy, validate_policy
from kefu.domain.sla_defaults import DEFAULT_POLICIES
from kefu.domain.sla_policy_input import MatchIn, PolicyStatus, parse_policy
from kefu.domain.types import Actor
from kefu.services.sla_policy import invalidate_policies
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.sla_policies")
# Admin-only, like seller agreements (the other SLA terms an admin records).
MANAGE = Permission.MANAGE_SLA_POLICIES
VIEW = Permission.PREVIEW_SLA
_DEFAULTS: dict[str, list[SlaPolicy]] = {}
for _p in DEFAULT_POLICIES:
    _DEFAULTS.setdefault(_p.id, []).append(_p)


@dataclass(frozen=True)
class DraftIn:
    """A new version of a policy, as an admin sends it (the match names the shop by code)."""

    policy_id: str
    clocks: Sequence[Mapping[str, Any]]
    effective_from: datetime
    match: Mapping[str, str | None] = field(default_factory=dict)
    note: str = ""


class PolicyConflict(DomainError):
    def __init__(self, policy_id: str, version: int, status: str) -> None:
        super().__init__(
            "policy_not_draft",
            f"策略 {policy_id} 第 {version} 版不是草稿（{status}），已发布的版本不能再修改或发布",
            f"policy {policy_id} version {version} is not a draft ({status}); "
            "a published version is never changed or published again",
            (),
            {"policy_id": policy_id, "version": version, "current_status": status},
            409,
        )


def _published_versions(uow: UnitOfWork, policy_id: str) -> list[SlaPolicy]:
    stored = uow.deadlines.policies.versions(policy_id)
    published = [v.policy for v in stored if v.status is PolicyStatus.PUBLISHED]
    return [*_DEFAULTS.get(policy_id, []), *published]


def _checks(uow: UnitOfWork, policy: SlaPolicy, now: datetime) -> list[FieldError]:
    """validate_policy as if published ``now`` (the 7-day notice), and no going back in time."""
    errors = validate_policy(replace(policy, published_at=now))
    latest = max((p.effective_from for p in _published_versions(uow, policy.id)), default=None)
    if latest is not None and policy.effective_from <= latest:
        errors.append(
            FieldError(
                "effective_from",
                "not_after_published",
                f"生效时间须晚于该策略已发布版本的生效时间（{latest.isoformat()}）",
                f"effective_from must be later than the published version's ({latest.isoformat()})",
            )
        )
    return errors


def create_draft(uow: UnitOfWork, *, actor: Actor, data: DraftIn, now: datetime) -> dict[str, Any]:
    """Record a draft version: the law floors and the 7-day notice are checked now, as a draft
    that could not be published today can never be (publishing only gets later)."""
    rbac.require(actor, MANAGE)
    with uow:
        errors: list[FieldError] = []
        unknown = sorted(set(data.match) - {"kind", "category", "priority", "channel", "seller"})
        if unknown:
            errors.append(
                FieldError(
                    f"match.{unknown[0]}",
                    "unknown_field",
                    f"未知字段：{', '.join(unknown)}",
                    f"unknown field(s): {', '.join(unknown)}",
                )
            )
        seller = data.match.get("seller")
        seller_id = uow.deadlines.shop_id(seller) if seller else None
        if seller and seller_id is None:
            errors.append(
                FieldError(
                    "match.seller", "unknown_shop", f"没有店铺 {seller}", f"no shop {seller}"
                )
            )
        last = max(
            [uow.deadlines.policies.last_version(data.policy_id)]
            + [p.version for p in _DEFAULTS.get(data.policy_id, [])]
        )
        match = MatchIn(
            kind=data.match.get("kind"),
            category=data.match.get("category"),
            priority=data.match.get("priority"),
            channel=data.match.get("channel"),
            seller_id=seller_id,
        )
        policy, parse_errors = parse_policy(
            policy_id=data.policy_id,
            version=last + 1,
            match=match,
            clocks=data.clocks,
            effective_from=data.effective_from,
        )
        errors += parse_errors
        if policy is not None:
            errors += _checks(uow, policy, now)
        if errors or policy is None:
            raise InvalidInput(errors)
        note = data.note.strip()[:500]
        uow.deadlines.policies.add_draft(policy, note, actor.user_id, now)
        stored = uow.deadlines.policies.get(policy.id, policy.version)
        assert stored is not None
        out = _public(_out(stored, uow.deadlines.shop_codes()))
        uow.commit()
    log.info("sla_policy_drafted", policy=policy.id, version=policy.version, by=actor.user_id)
    return out


def publish(
    uow: UnitOfWork, *, actor: Actor, policy_id: str, version: int, now: datetime
) -> dict[str, Any]:
    """Publish a draft now (published_at, published_by); it applies from its effective_from."""
    rbac.require(actor, MANAGE)
    with uow:
        repo = uow.deadlines.policies
        repo.lock_policy(policy_id)
        found = repo.get(policy_id, version)
        if found is None:
            raise NotFound("SLA 策略版本 SLA policy version", f"{policy_id} v{version}")
        if found.status is not PolicyStatus.DRAFT:
            raise PolicyConflict(policy_id, version, found.status.value)
        errors = _checks(uow, found.policy, now)
        if errors:
            raise InvalidInput(errors)
        if not repo.publish(policy_id, version, actor.user_id, now):
            raise PolicyConflict(policy_id, version, "published")  # someone else just did
        stored = repo.get(policy_id, version)
        assert stored is not None
        out = _public(_out(stored, uow.deadlines.shop_codes()))
        uow.commit()
        invalidate_policies(uow)
    log.info(
        "sla_policy_published",
        policy=policy_id,
        version=version,
        effective_from=found.policy.effective_from.isoformat(),
        by=actor.user_id,
    )
    return out


def stored_version(uow: UnitOfWork, policy_id: str, version: int) -> SlaPolicy:
    """A stored version (draft or published) for the preview; 404 if there is none."""
    found = uow.deadlines.policies.get(policy_id, version)
    if found is None:
        raise NotFound("SLA 策略版本 SLA policy version", f"{policy_id} v{version}")
    return found.policy


def list_policies(
    uow: UnitOfWork, *, actor: Actor, policy_id: str | None, now: datetime
) -> list[dict[str, Any]]:
    """Every policy with its versions (code defaults and stored ones), oldest first."""
    rbac.require(actor, VIEW)
    with uow:
        stored = uow.deadlines.policies.versions(policy_id)
        shops = uow.deadlines.shop_codes()
    items: dict[str, list[dict[str, Any]]] = {}
    for pid, defaults in _DEFAULTS.items():
        if policy_id is None or pid == policy_id:
            items[pid] = [_code_out(p, shops) for p in defaults]
    for v in stored:
        items.setdefault(v.policy.id, []).append(_out(v, shops))
    result = []
    for pid in sorted(items):
        versions = items[pid]
        live = [v for v in versions if v["status"] == "published" and v["_from"] <= now]
        current = max(live, key=lambda v: (v["_from"], v["version"]), default=None)
        for row in versions:
            row["in_force"] = row is current
            row["scheduled"] = row["status"] == "published" and row["_from"] > now
        result.append({"policy_id": pid, "versions": [_public(row) for row in versions]})
    return result


def _public(v: dict[str, Any]) -> dict[str, Any]:
    return {k: val for k, val in v.items() if not k.startswith("_")}


def _match_out(policy: SlaPolicy, shops: Mapping[int, str]) -> dict[str, Any]:
    m = policy.match
    seller = None if m.seller_id is None else shops.get(m.seller_id, str(m.seller_id))
    return {
        "kind": m.kind,
        "category": m.category,
        "priority": m.priority,
        "channel": m.channel,
        "seller": seller,
    }


def _code_out(p: SlaPolicy, shops: Mapping[int, str]) -> dict[str, Any]:
    return {
        "policy_id": p.id,
        "version": p.version,
        "source": "code",
        "status": PolicyStatus.PUBLISHED.value,
        "match": _match_out(p, shops),
        "clocks": [spec_to_json(c) for c in p.clocks],
        "effective_from": p.effective_from.isoformat(),
        "published_at": None,
        "published_by": None,
        "created_by": None,
        "created_at": None,
        "note": "平台默认 platform default (sla_defaults.py)",
        "_from": p.effective_from,
    }


def _out(v: PolicyVersion, shops: Mapping[int, str]) -> dict[str, Any]:
    p = v.policy
    out = _code_out(p, shops)
    out.update(
        source="table",
        status=v.status.value,
        published_at=p.published_at.isoformat() if p.published_at else None,
        published_by=v.published_by,
        created_by=v.created_by,
        created_at=v.created_at.isoformat(),
        note=v.note,
    )
    return out


__all__ = ["DraftIn", "PolicyConflict", "create_draft", "list_policies", "publish"]
