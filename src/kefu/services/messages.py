"""Message intents: public messages between the parties and internal staff notes."""

from __future__ import annotations

from datetime import datetime

from kefu.domain import rbac
from kefu.domain.case import Case
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor, Visibility
from kefu.services.cases import load_visible
from kefu.services.unit_of_work import UnitOfWork


def post_message(
    uow: UnitOfWork, *, actor: Actor, number: str, body: str, internal: bool, now: datetime
) -> Case:
    """Append a message (or a staff-only note) to the case's timeline and notify the parties."""
    rbac.require(actor, Permission.POST_NOTE if internal else Permission.POST_MESSAGE)
    with uow:
        case = load_visible(uow, actor, number)
        case.post(actor, body, Visibility.INTERNAL if internal else Visibility.PUBLIC, now)
        # Messages do not bump the version: a chat line must not invalidate an agent's form.
        uow.touch_case(case)
        uow.commit()
        return case
