"""UnitOfWork: a transaction per intent, or its savepoint in a group COMMIT; timeline + outbox."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar, overload
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Connection, Engine, RootTransaction

from kefu.db.cases import CaseRepo
from kefu.db.channels import ChannelRepos
from kefu.db.deadlines import DeadlineRepo
from kefu.db.engine import WRITE
from kefu.db.intake import IntakeRepo
from kefu.db.orders import OrderRepo
from kefu.db.outbox import NotificationRepo, OutboxRepo
from kefu.db.people import PeopleRepo
from kefu.db.records import RecordsRepo
from kefu.db.search import SearchRepo
from kefu.db.write_gate import Group, GroupCommitFailed, IntentSavepoint, gate_for
from kefu.domain.case import Case
from kefu.services.notifications import outbox_rows_for

GROUP_COMMIT_WAIT_S = 120.0

R = TypeVar("R")

# One write-flagged view per engine: building it (SQLAlchemy sets up its options and logger)
# costs more than a small INSERT, and every intent needs it.
_WRITE_ENGINES: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _write_engine(engine: Engine) -> Engine:
    found = _WRITE_ENGINES.get(engine)
    if found is None:
        found = _WRITE_ENGINES[engine] = engine.execution_options(**{WRITE: True})
    return found


class _Repo(Generic[R]):
    """A repository made on first use inside `with uow:`: most intents touch three or four of
    the ten, and each is built around the transaction's connection."""

    def __init__(self, factory: Callable[[Connection], R]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Repo[R]: ...
    @overload
    def __get__(self, uow: UnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: UnitOfWork | None, owner: type) -> _Repo[R] | R:
        if uow is None:
            return self
        repo = self.factory(uow.conn)
        uow.__dict__[self.name] = repo  # later reads in this `with` find it without us
        return repo


class UnitOfWork:
    """Use as `with uow:`; call commit() to keep the work, anything else rolls it back.

    `group=True` (SQLite) lets the intent share its COMMIT with the intents queued behind it
    (`db/write_gate.py`); leaving the `with` still means the work is saved or an error is raised.
    """

    cases = _Repo(CaseRepo)
    orders = _Repo(OrderRepo)
    people = _Repo(PeopleRepo)
    records = _Repo(RecordsRepo)
    outbox = _Repo(OutboxRepo)
    notifications = _Repo(NotificationRepo)
    intake = _Repo(IntakeRepo)  # screening verdicts, fingerprints, flags, staff load (issue 3)
    channels = _Repo(ChannelRepos)  # mail, calls, chat, contacts (issue 3)
    deadlines = _Repo(DeadlineRepo)  # SLA clocks, calendars, agreements (issue 4)
    search = _Repo(SearchRepo)  # full-text search documents

    def __init__(self, engine: Engine, *, write: bool = True, group: bool = False) -> None:
        self._engine = _write_engine(engine) if write else engine
        self._gate = gate_for(engine) if write else None
        self._grouped = group and self._gate is not None
        self._group: Group | None = None
        self._writing = False  # holding the cross-process write lock (plain SQLite writer)
        self._conn: Connection | None = None
        self._tx: RootTransaction | IntentSavepoint | None = None

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "use the unit of work inside `with`"
        return self._conn

    def __enter__(self) -> UnitOfWork:
        gate = self._gate
        if gate is not None:
            gate.acquire()
            try:
                if self._grouped:
                    self._group = gate.open_group(self._engine)
                    self._conn = self._group.conn
                    self._tx = IntentSavepoint(self._conn)
                else:
                    gate.finish_group()
                    gate.begin_writing()
                    self._writing = True
            except BaseException:
                self._leave_gate(failing=True)
                raise
        if self._conn is None:
            try:
                self._conn = self._engine.connect()
                self._tx = self._conn.begin()
            except BaseException:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                if gate is not None:
                    self._leave_gate(failing=True)
                raise
        self._forget_repos()
        return self

    def _forget_repos(self) -> None:
        """Drop repositories bound to an earlier `with` block's connection."""
        for name in _REPO_NAMES:
            self.__dict__.pop(name, None)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            if self._conn is not None and self._group is None:
                self._conn.close()
            self._conn = None
            self._tx = None
            self._forget_repos()
            if self._gate is not None:
                self._leave_gate(failing=exc_type is not None)

    def _leave_gate(self, *, failing: bool) -> None:
        gate, group = self._gate, self._group
        assert gate is not None
        self._group = None
        if group is None:
            try:
                if self._writing:
                    gate.end_writing()
            finally:
                self._writing = False
                gate.release()
            return
        if gate.nested:
            # Inside another unit of work of this thread: the outer one commits or holds the
            # group open; waiting here for that COMMIT would wait for ourselves.
            gate.release()
            return
        if gate.should_hold_open(group):
            gate.release()
            if not group.done.wait(GROUP_COMMIT_WAIT_S):
                # Never seen: a group commits within milliseconds. Better an error the caller
                # can retry (an Idempotency-Key replays the case if it was saved) than a hang.
                raise GroupCommitFailed("no group COMMIT within the time limit; retry")
            error = group.error
        else:
            try:
                error = gate.finish_group()
            finally:
                gate.release()
        # Every member waits for the COMMIT: even an intent that only read may have read the
        # group's uncommitted rows.
        if error is not None and not failing:
            raise GroupCommitFailed(
                "group commit failed; nothing of this intent was saved"
            ) from error

    def add_case(self, case: Case) -> None:
        self.cases.add(case)
        self._publish(case)

    def save_case(self, case: Case, expected_version: int) -> None:
        """Version-checked save; the case's recorded events go to the timeline and outbox."""
        self.cases.save(case, expected_version)
        self._publish(case)

    def touch_case(self, case: Case) -> None:
        """Record appended events and activity times without a version bump."""
        self.cases.touch(case)
        self._publish(case)

    def _publish(self, case: Case) -> None:
        assert case.id is not None
        events, case.events = case.events, []
        self.records.append_events(case.id, events)
        for topic, payload in outbox_rows_for(case, events):
            self.outbox.add(topic, case.id, payload, events[-1].at if events else case.updated_at)

    def commit(self) -> None:
        """Keep the work (in a group: release the savepoint; the COMMIT follows on leaving)."""
        assert self._tx is not None
        self._tx.commit()

    def rollback(self) -> None:
        """Undo this intent's writes so far and keep reading (in a group: to its savepoint)."""
        assert self._tx is not None
        self._tx.rollback()


_REPO_NAMES: tuple[str, ...] = tuple(n for n, v in vars(UnitOfWork).items() if isinstance(v, _Repo))
