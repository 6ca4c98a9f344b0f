"""The SLA policy in force for a case, seller agreement applied; remembered per process."""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime
from weakref import WeakKeyDictionary

from kefu.domain.clock_rules import clocks_at_filing
from kefu.domain.seller_agreement import SellerAgreement, apply_agreement
from kefu.domain.sla import SlaPolicy, select_policy
from kefu.domain.sla_clock import ClockSpec
from kefu.domain.sla_defaults import DEFAULT_POLICIES
from kefu.domain.types import CaseKind, Category, Channel, Priority
from kefu.services.calendars import agreement_at
from kefu.services.unit_of_work import UnitOfWork

# How long a process trusts its policy set before one indexed COUNT/MAX asks whether another
# process published a version. Safe at any value below the 7-day notice: a version published
# elsewhere takes effect at least 7 days later (validate_policy), long after this has seen it.
CHECK_EVERY_S = 5.0
_MEMO_MAX = 4096


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy version in force for a case, with the seller's agreement applied."""

    policy: SlaPolicy
    label: str  # policy id, plus the agreement version when one shaped the clocks
    clocks: tuple[ClockSpec, ...]
    at_filing: tuple[ClockSpec, ...] = ()  # the clocks filing starts, in policy order

    def spec(self, name: str) -> ClockSpec | None:
        return next((c for c in self.clocks if c.name == name), None)


_Key = tuple[int, CaseKind, Category | None, Priority | None, Channel | None, int | None]
_EffKey = tuple[str, int, tuple[SellerAgreement, int] | None]


@dataclass
class _PolicySet:
    """The policies in force for one database: the code defaults plus published versions."""

    checked_at: float
    stamp: tuple[int, datetime | None]
    policies: tuple[SlaPolicy, ...]
    # Distinct effective_from instants, sorted: selection is constant between two of them, so
    # it is remembered per (segment, case facts) — exact, whatever the time asked about.
    bounds: tuple[datetime, ...] = ()
    selected: dict[_Key, SlaPolicy | None] = field(default_factory=dict)
    effective: dict[_EffKey, EffectivePolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.bounds = tuple(sorted({p.effective_from for p in self.policies}))


# Keyed by the engine's connection pool: one set per database, dropped with the engine.
_SETS: WeakKeyDictionary[object, _PolicySet] = WeakKeyDictionary()
_LOCK = threading.Lock()


def policy_set(uow: UnitOfWork) -> tuple[SlaPolicy, ...]:
    """Every policy version that is or will be in force: DEFAULT_POLICIES + published rows."""
    return _current(uow).policies


def _current(uow: UnitOfWork) -> _PolicySet:
    key = uow.conn.engine.pool
    found = _SETS.get(key)
    now = time.monotonic()
    if found is not None and now - found.checked_at < CHECK_EVERY_S:
        return found
    repo = uow.deadlines.policies
    stamp = repo.stamp()
    if found is not None and stamp == found.stamp:
        found.checked_at = now
        return found
    published = tuple(v.policy for v in repo.published()) if stamp[0] else ()
    fresh = _PolicySet(now, stamp, DEFAULT_POLICIES + published)
    with _LOCK:
        _SETS[key] = fresh
    return fresh


def invalidate_policies(uow: UnitOfWork) -> None:
    """This process published a version: the next selection reloads (others within seconds)."""
    with _LOCK:
        _SETS.pop(uow.conn.engine.pool, None)


def effective_policy(
    uow: UnitOfWork,
    *,
    kind: CaseKind,
    category: Category | None,
    priority: Priority | None,
    channel: Channel | None,
    shop_id: int | None,
    at: datetime,
    draft: SlaPolicy | None = None,
) -> EffectivePolicy | None:
    """The version in force at ``at`` (rule 29: callers pass the case's opening time).

    ``draft``: answer as if that version were in force at ``at``, in place of the other
    versions of its id (the preview before publishing); nothing is remembered then.
    """
    ps = _current(uow)
    agreement = agreement_at(uow, shop_id, at) if shop_id is not None else None
    if draft is not None:
        others = [p for p in ps.policies if p.id != draft.id]
        forced = replace(draft, effective_from=min(draft.effective_from, at))
        policy = select_policy(
            [*others, forced],
            kind=kind,
            category=category,
            priority=priority,
            channel=channel,
            seller_id=shop_id,
            at=at,
        )
        return None if policy is None else _build(policy, agreement)
    key: _Key = (bisect_right(ps.bounds, at), kind, category, priority, channel, shop_id)
    try:
        policy = ps.selected[key]
    except KeyError:
        policy = select_policy(
            ps.policies,
            kind=kind,
            category=category,
            priority=priority,
            channel=channel,
            seller_id=shop_id,
            at=at,
        )
        if len(ps.selected) >= _MEMO_MAX:
            ps.selected.clear()
        ps.selected[key] = policy
    if policy is None:
        return None
    # Keyed by id and version: hashing the policy itself walks every clock spec each call.
    eff_key: _EffKey = (policy.id, policy.version, agreement)
    eff = ps.effective.get(eff_key)
    if eff is None:
        eff = _build(policy, agreement)
        if len(ps.effective) >= _MEMO_MAX:
            ps.effective.clear()
        ps.effective[eff_key] = eff
    return eff


def _build(policy: SlaPolicy, agreement: tuple[SellerAgreement, int] | None) -> EffectivePolicy:
    clocks, label = policy.clocks, policy.id
    if agreement is not None:
        clocks = apply_agreement(clocks, agreement[0])
        label = f"{policy.id}+agreement.v{agreement[1]}"
    names = frozenset(clocks_at_filing(c.name for c in clocks))
    return EffectivePolicy(policy, label[:80], clocks, tuple(c for c in clocks if c.name in names))


__all__ = ["EffectivePolicy", "effective_policy", "invalidate_policies", "policy_set"]
