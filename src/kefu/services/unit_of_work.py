"""UnitOfWork: one connection and transaction per intent; saving a case writes timeline + outbox."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import Connection, Engine, RootTransaction

from kefu.db.cases import CaseRepo
from kefu.db.engine import WRITE
from kefu.db.orders import OrderRepo
from kefu.db.outbox import NotificationRepo, OutboxRepo
from kefu.db.people import PeopleRepo
from kefu.db.records import RecordsRepo
from kefu.domain.case import Case
from kefu.services.notifications import outbox_rows_for


class UnitOfWork:
    """Use as `with uow:`; call commit() to keep the work, anything else rolls it back."""

    cases: CaseRepo
    orders: OrderRepo
    people: PeopleRepo
    records: RecordsRepo
    outbox: OutboxRepo
    notifications: NotificationRepo

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self._engine = engine.execution_options(**{WRITE: True}) if write else engine
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "use the unit of work inside `with`"
        return self._conn

    def __enter__(self) -> UnitOfWork:
        self._conn = self._engine.connect()
        self._tx = self._conn.begin()
        conn = self._conn
        self.cases = CaseRepo(conn)
        self.orders = OrderRepo(conn)
        self.people = PeopleRepo(conn)
        self.records = RecordsRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.notifications = NotificationRepo(conn)
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
