"""Who on a case a mail address belongs to: the buyer, the shop's seller, or nobody."""

from __future__ import annotations

from kefu.domain.case import Case
from kefu.domain.types import Actor, Role
from kefu.services.unit_of_work import UnitOfWork


def party_of(uow: UnitOfWork, case: Case, sender: str) -> Actor | None:
    """The case party who writes from `sender` (the buyer by a known address or the case's
    contact email, or a seller of the case's shop), else None (within the caller's `with uow`)."""
    for user_id in uow.channels.contacts.user_ids_with_email(sender) if sender else []:
        user = uow.people.user_by_id(user_id)
        if user.id == case.buyer_id:
            return user.actor()
        if Role.SELLER in user.roles and case.shop_id is not None and user.shop_id == case.shop_id:
            return user.actor()
    if sender and sender.lower() == case.contact_email.lower():
        return uow.people.user_by_id(case.buyer_id).actor()
    return None
