"""UnitOfWork: one connection and transaction per intent; saving a case writes timeline + outbox."""

from __future__ import annotations

import threading
from types import TracebackType
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
from kefu.domain.case import Case
from kefu.services.notifications import outbox_rows_for

# SQLite has one writer. Threads of this process queue on a lock instead of polling SQLite's
# busy handler, whose growing sleeps (up to 100 ms each) made tail latency explode under load.
_SQLITE_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _write_lock(engine: Engine) -> threading.RLock | None:
    if engine.dialect.name != "sqlite":
        return None
    with _LOCKS_GUARD:
        lock = _SQLITE_WRITE_LOCKS.get(engine)
        if lock is None:
            lock = _SQLITE_WRITE_LOCKS[engine] = threading.RLock()
        return lock


class UnitOfWork:
    """Use as `with uow:`; call commit() to keep the work, anything else rolls it back."""

    cases: CaseRepo
    orders: OrderRepo
    people: PeopleRepo
    records: RecordsRepo
    outbox: OutboxRepo
    notifications: NotificationRepo
    intake: IntakeRepo  # screening verdicts, fingerprints, flags, staff load (issue 3)
    channels: ChannelRepos  # mail, calls, chat, contacts (issue 3)
    deadlines: DeadlineRepo  # SLA clocks, calendars, agreements (issue 4)
    search: SearchRepo  # full-text search documents

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self._engine = engine.execution_options(**{WRITE: True}) if write else engine
        self._lock = _write_lock(engine) if write else None
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "use the unit of work inside `with`"
        return self._conn

    def __enter__(self) -> UnitOfWork:
        if self._lock is not None:
            self._lock.acquire()
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        conn = self._conn
        self.cases = CaseRepo(conn)
        self.orders = OrderRepo(conn)
        self.people = PeopleRepo(conn)
        self.records = RecordsRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.notifications = NotificationRepo(conn)
        self.intake = IntakeRepo(conn)
        self.channels = ChannelRepos(conn)
        self.deadlines = DeadlineRepo(conn)
        self.search = SearchRepo(conn)
        return self

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
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._tx = None
            if self._lock is not None:
                self._lock.release()

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
        assert self._tx is not None
        self._tx.commit()
