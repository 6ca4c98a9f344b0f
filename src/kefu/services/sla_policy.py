"""The SLA policy in force for a case, seller agreement applied; remembered per process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from kefu.domain.clock_rules import clocks_at_filing
from kefu.domain.seller_agreement import SellerAgreement, apply_agreement
from kefu.domain.sla import SlaPolicy, select_policy
from kefu.domain.sla_clock import ClockSpec
from kefu.domain.sla_defaults import DEFAULT_POLICIES
from kefu.domain.types import CaseKind, Category, Channel, Priority
from kefu.services.calendars import agreement_at
from kefu.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy version in force for a case, with the seller's agreement applied."""

    policy: SlaPolicy
    label: str  # policy id, plus the agreement version when one shaped the clocks
    clocks: tuple[ClockSpec, ...]
    at_filing: tuple[ClockSpec, ...] = ()  # the clocks filing starts, in policy order

    def spec(self, name: str) -> ClockSpec | None:
        return next((c for c in self.clocks if c.name == name), None)


def effective_policy(
    uow: UnitOfWork,
    *,
    kind: CaseKind,
    category: Category | None,
    priority: Priority | None,
    channel: Channel | None,
    shop_id: int | None,
    at: datetime,
) -> EffectivePolicy | None:
    if at >= _ALL_IN_FORCE:
        # Every default policy is in force: the choice no longer depends on the time.
        policy = _select_current(kind, category, priority, channel, shop_id)
    else:
        policy = _select(kind, category, priority, channel, shop_id, at)
    if policy is None:
        return None
    agreement = agreement_at(uow, shop_id, at) if shop_id is not None else None
    # Keyed by id and version: hashing the policy itself walks every clock spec each call.
    return _effective((policy.id, policy.version), agreement)


def _select(
    kind: CaseKind,
    category: Category | None,
    priority: Priority | None,
    channel: Channel | None,
    shop_id: int | None,
    at: datetime,
) -> SlaPolicy | None:
    return select_policy(
        DEFAULT_POLICIES,
        kind=kind,
        category=category,
        priority=priority,
        channel=channel,
        seller_id=shop_id,
        at=at,
    )


# DEFAULT_POLICIES is code, fixed for the process: selection and agreement application are pure
# functions of their arguments, so they are remembered (agreements still come from the 60 s cache).
_ALL_IN_FORCE = max(p.effective_from for p in DEFAULT_POLICIES)


@lru_cache(maxsize=4096)
def _select_current(
    kind: CaseKind,
    category: Category | None,
    priority: Priority | None,
    channel: Channel | None,
    shop_id: int | None,
) -> SlaPolicy | None:
    return _select(kind, category, priority, channel, shop_id, _ALL_IN_FORCE)


_BY_KEY = {(p.id, p.version): p for p in DEFAULT_POLICIES}


@lru_cache(maxsize=4096)
def _effective(
    key: tuple[str, int], agreement: tuple[SellerAgreement, int] | None
) -> EffectivePolicy:
    policy = _BY_KEY[key]
    clocks, label = policy.clocks, policy.id
    if agreement is not None:
        clocks = apply_agreement(clocks, agreement[0])
        label = f"{policy.id}+agreement.v{agreement[1]}"
    names = frozenset(clocks_at_filing(c.name for c in clocks))
    return EffectivePolicy(policy, label[:80], clocks, tuple(c for c in clocks if c.name in names))


__all__ = ["EffectivePolicy", "effective_policy"]
