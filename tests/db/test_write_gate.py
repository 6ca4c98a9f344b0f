"""Group commit on SQLite: members share one COMMIT, fail alone, and never return before it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from kefu.bootstrap import App, build_app, upgrade_database
from kefu.config import load_settings
from kefu.db.schema import teams
from kefu.db.write_gate import GroupCommitFailed, gate_for
from kefu.services.unit_of_work import UnitOfWork


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[App]:
    settings = load_settings(var_dir=tmp_path / "var", secret_key="test-secret")
    upgrade_database(settings)
    app = build_app(settings)
    yield app
    app.engine.dispose()


def _codes(app: App) -> set[str]:
    with app.engine.connect() as conn:
        return set(conn.execute(select(teams.c.code)).scalars())


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


class _Member(threading.Thread):
    """Run one intent in its own thread; `hold` keeps it inside `with` until released."""

    def __init__(self, uow: UnitOfWork, body: Callable[[UnitOfWork], None]) -> None:
        super().__init__(daemon=True)
        self.uow, self.body = uow, body
        self.inside = threading.Event()
        self.hold = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.uow as uow:
                self.body(uow)
                self.inside.set()
                self.hold.wait(10)
        except BaseException as exc:
            self.error = exc


def _add_team(code: str) -> Callable[[UnitOfWork], None]:
    def body(uow: UnitOfWork) -> None:
        uow.people.ensure_team(code, code)
        uow.commit()

    return body


def _pair(app: App, first: Callable[[UnitOfWork], None], second: _Member) -> _Member:
    """Start `first` in a group, queue `second` behind it, then let `first` leave."""
    a = _Member(app.uow(group=True), first)
    a.start()
    assert a.inside.wait(10)
    second.start()
    gate = gate_for(app.engine)
    assert gate is not None
    _wait_until(lambda: gate.someone_waiting)
    second.hold.set()
    a.hold.set()
    a.join(10)
    second.join(10)
    return a


def test_members_share_one_commit_and_a_failing_member_loses_only_its_own_work(
    sqlite_app: App,
) -> None:
    def fails(uow: UnitOfWork) -> None:
        uow.people.ensure_team("b-team", "b")
        raise ValueError("this intent fails after writing")

    b = _Member(sqlite_app.uow(group=True), fails)
    a = _pair(sqlite_app, _add_team("a-team"), b)
    assert a.error is None
    assert isinstance(b.error, ValueError)
    assert _codes(sqlite_app) >= {"a-team"}
    assert "b-team" not in _codes(sqlite_app)


def test_a_member_returns_only_after_the_group_is_committed(sqlite_app: App) -> None:
    seen: list[set[str]] = []

    def second(uow: UnitOfWork) -> None:
        uow.people.ensure_team("second", "s")
        uow.commit()

    b = _Member(sqlite_app.uow(group=True), second)
    a = _Member(sqlite_app.uow(group=True), _add_team("first"))
    a.start()
    assert a.inside.wait(10)
    b.start()
    gate = gate_for(sqlite_app.engine)
    assert gate is not None
    _wait_until(lambda: gate.someone_waiting)
    a.hold.set()
    # `a` wrote and left its `with`, but the group is still open: another connection sees
    # nothing of it, and `a` has not returned.
    _wait_until(lambda: gate.group is not None and not gate.someone_waiting)
    seen.append(_codes(sqlite_app))
    assert a.is_alive()
    b.hold.set()
    a.join(10)
    b.join(10)
    assert a.error is None
    assert b.error is None
    assert "first" not in seen[0]
    assert {"first", "second"} <= _codes(sqlite_app)


def test_a_failed_group_commit_fails_every_member(sqlite_app: App) -> None:
    def orphan(uow: UnitOfWork) -> None:
        # A deferred foreign key is only checked at COMMIT: a real failing COMMIT.
        uow.conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        uow.people.add_to_team(user_id=987654, team_id=987654)
        uow.commit()

    b = _Member(sqlite_app.uow(group=True), orphan)
    a = _pair(sqlite_app, _add_team("doomed"), b)
    assert isinstance(a.error, GroupCommitFailed)
    assert isinstance(b.error, GroupCommitFailed)
    assert "doomed" not in _codes(sqlite_app)


def test_a_writer_outside_groups_flushes_the_open_group_first(sqlite_app: App) -> None:
    b = _Member(sqlite_app.uow(), _add_team("plain"))
    a = _pair(sqlite_app, _add_team("grouped"), b)
    assert a.error is None
    assert b.error is None
    assert {"grouped", "plain"} <= _codes(sqlite_app)


def test_many_concurrent_grouped_intents_are_all_saved(sqlite_app: App) -> None:
    def worker(k: int) -> None:
        for j in range(20):
            with sqlite_app.uow(group=True) as uow:
                uow.people.ensure_team(f"t{k}-{j}", "x")
                uow.commit()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len({c for c in _codes(sqlite_app) if c.startswith("t")}) == 160


_CHILD = """
import sys
from kefu.bootstrap import build_app
from kefu.config import load_settings
app = build_app(load_settings(var_dir=sys.argv[1], secret_key="test-secret"))
print("ready", flush=True)
with app.uow(group=True) as uow:
    uow.people.ensure_team("from-child", "c")
    uow.commit()
print("saved")
"""


def test_a_writer_in_another_process_waits_for_the_file_lock(
    sqlite_app: App, tmp_path: Path
) -> None:
    import subprocess
    import sys

    gate = gate_for(sqlite_app.engine)
    assert gate is not None
    assert gate.file_lock is not None
    gate.lock.acquire()
    gate.begin_writing()  # as a write transaction in this process would
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(tmp_path / "var")],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # an unblocked child commits in milliseconds
        assert child.poll() is None
        assert "from-child" not in _codes(sqlite_app)
    finally:
        gate.end_writing()
        gate.lock.release()
    out, _ = child.communicate(timeout=30)
    assert out.strip() == "saved"
    assert "from-child" in _codes(sqlite_app)


def test_a_grouped_unit_of_work_inside_another_neither_commits_nor_waits(
    sqlite_app: App,
) -> None:
    gate = gate_for(sqlite_app.engine)
    assert gate is not None
    queued = _Member(sqlite_app.uow(group=True), _add_team("queued"))
    with sqlite_app.uow(group=True) as outer:
        outer.people.ensure_team("outer", "o")
        queued.start()
        queued.hold.set()
        _wait_until(lambda: gate.someone_waiting)
        with sqlite_app.uow(group=True) as inner:
            inner.people.ensure_team("inner", "i")
            inner.commit()
        assert gate.group is not None  # still the outer's open group
        assert "inner" not in _codes(sqlite_app)
        outer.commit()
    queued.join(10)
    assert queued.error is None
    assert {"outer", "inner", "queued"} <= _codes(sqlite_app)
