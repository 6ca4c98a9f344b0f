"""Business calendars from the official schedule plus stored overrides; admin edits and imports."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from weakref import WeakKeyDictionary

import structlog

from kefu.adapters.holidays import load_chinese_holidays
from kefu.db.calendars import Override
from kefu.domain import rbac
from kefu.domain.calendar import BusinessCalendar, Window
from kefu.domain.errors import FieldError, InvalidInput, NotFound
from kefu.domain.rbac import Permission
from kefu.domain.seller_agreement import SellerAgreement
from kefu.domain.sla_clock import Party
from kefu.domain.text_faults import text_error
from kefu.domain.types import Actor
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.calendars")
PLATFORM = "platform"
# Another process's admin edit reaches this one within the TTL; this process's edits at once.
CACHE_TTL_S = 60.0


@dataclass
class _Cached:
    loaded_at: float
    overrides: dict[str, list[Override]]
    calendars: dict[tuple[str, ...], BusinessCalendar] = field(default_factory=dict)
    agreements: dict[int, list[tuple[SellerAgreement, int, datetime]]] = field(default_factory=dict)


# Keyed by the engine's connection pool: one cache per database, dropped with the engine.
_CACHE: WeakKeyDictionary[object, _Cached] = WeakKeyDictionary()
_LOCK = threading.Lock()


def base_calendar() -> BusinessCalendar:
    """Platform hours (9:00–21:00, seed 004) on the official schedule, no overrides."""
    return _BASE


_BASE = BusinessCalendar().with_holidays(load_chinese_holidays())


def _entry(uow: UnitOfWork) -> _Cached:
    key = uow.conn.engine.pool
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None and time.monotonic() - cached.loaded_at < CACHE_TTL_S:
            return cached
    by_calendar: dict[str, list[Override]] = {}
    for o in uow.deadlines.overrides():
        by_calendar.setdefault(o.calendar, []).append(o)
    fresh = _Cached(time.monotonic(), by_calendar)
    with _LOCK:
        _CACHE[key] = fresh
    return fresh


def invalidate(uow: UnitOfWork) -> None:
    with _LOCK:
        _CACHE.pop(uow.conn.engine.pool, None)


def parse_hours(text: str) -> tuple[Window, ...]:
    """'09:00-12:00,13:00-18:00' -> windows; raises ValueError with a readable message."""
    windows = []
    for part in text.replace("，", ",").split(","):
        part = part.strip().replace("–", "-")
        if not part:
            continue
        start, _, end = part.partition("-")
        windows.append(Window.of(start.strip(), end.strip()))
    return tuple(sorted(windows))


def layered(
    overrides: Iterable[Override], base: BusinessCalendar | None = None
) -> BusinessCalendar:
    """The base calendar with overrides applied in order (a later one wins for its date)."""
    by_day: dict[date, Override] = {}
    for o in overrides:
        by_day[o.day] = o
    base = base or _BASE
    if not by_day:
        return base
    windows: dict[date, tuple[Window, ...]] = {}
    for d, o in by_day.items():
        if o.working and o.hours:
            windows[d] = parse_hours(o.hours)
    names = dict(base.names)
    names.update({d: o.note for d, o in by_day.items() if o.note})
    return replace(
        base,
        override_rest=frozenset(d for d, o in by_day.items() if not o.working),
        override_work=frozenset(d for d, o in by_day.items() if o.working),
        date_windows=windows,
        names=names,
    )


def calendar_keys(party: Party, shop_id: int | None, team_id: int | None) -> tuple[str, ...]:
    """Seller duties run on the shop's calendar, platform duties on the team's, buyers' on ours."""
    if party is Party.SELLER and shop_id is not None:
        return (PLATFORM, f"shop:{shop_id}")
    if party is Party.PLATFORM and team_id is not None:
        return (PLATFORM, f"team:{team_id}")
    return (PLATFORM,)


def calendar_for(uow: UnitOfWork, keys: tuple[str, ...]) -> BusinessCalendar:
    cached = _entry(uow)
    found = cached.calendars.get(keys)
    if found is None:
        found = layered(o for k in keys for o in cached.overrides.get(k, ()))
        cached.calendars[keys] = found
    return found


def agreement_at(uow: UnitOfWork, shop_id: int, at: datetime) -> tuple[SellerAgreement, int] | None:
    """The shop's agreement in force at ``at`` (a case keeps the terms it was opened under)."""
    cached = _entry(uow)
    versions = cached.agreements.get(shop_id)
    if versions is None:
        versions = uow.deadlines.agreements(shop_id)
        cached.agreements[shop_id] = versions
    in_force = [(a, v) for a, v, created in versions if created <= at]
    return in_force[-1] if in_force else None


# --- admin: overrides -----------------------------------------------------------------------


def resolve_calendar(uow: UnitOfWork, code: str) -> str:
    """'platform' | 'shop:<code>' | 'team:<code>' -> the stored key ('shop:<id>' …)."""
    code = code.strip()
    if code == PLATFORM:
        return PLATFORM
    kind, _, name = code.partition(":")
    found = (
        uow.deadlines.shop_id(name)
        if kind == "shop"
        else uow.deadlines.team_id(name)
        if kind == "team"
        else None
    )
    if found is None:
        raise InvalidInput(
            [
                FieldError(
                    "calendar",
                    "unknown_calendar",
                    f"没有日历 {code}：应为 platform、shop:<店铺代码> 或 team:<团队代码>",
                    f"no calendar {code}: use platform, shop:<shop code> or team:<team code>",
                )
            ]
        )
    return f"{kind}:{found}"


def _display(uow: UnitOfWork) -> Mapping[str, str]:
    shops = {f"shop:{i}": f"shop:{c}" for i, c in uow.deadlines.shop_codes().items()}
    teams = {f"team:{i}": f"team:{c}" for i, c in uow.deadlines.team_codes().items()}
    return {**shops, **teams}


@dataclass(frozen=True)
class OverrideIn:
    calendar: str
    day: date
    working: bool
    hours: str = ""
    note: str = ""


def _check(item: OverrideIn, prefix: str = "") -> list[FieldError]:
    # The calendar code is looked up and the note stored: a NUL reaches PostgreSQL in both.
    texts = {"calendar": item.calendar, "note": item.note}
    errors = [e for k, v in texts.items() if (e := text_error(f"{prefix}{k}", v)) is not None]
    if item.hours:
        try:
            parse_hours(item.hours)
        except ValueError:
            errors.append(
                FieldError(
                    f"{prefix}hours",
                    "invalid_hours",
                    "工作时间格式应为 09:00-18:00（多段用逗号分隔）",
                    "hours look like 09:00-18:00 (several separated by commas)",
                )
            )
        if not item.working:
            errors.append(
                FieldError(
                    f"{prefix}hours",
                    "hours_on_rest_day",
                    "休息日不能设置工作时间",
                    "a rest day cannot have working hours",
                )
            )
    if len(item.note) > 300:
        errors.append(
            FieldError(
                f"{prefix}note", "too_long", "备注最多 300 字", "note is at most 300 characters"
            )
        )
    return errors


def list_overrides(
    uow: UnitOfWork, *, actor: Actor, calendar: str | None
) -> list[dict[str, object]]:
    rbac.require(actor, Permission.VIEW_CALENDARS)
    with uow:
        keys = [resolve_calendar(uow, calendar)] if calendar else None
        names = _display(uow)
        return [_out(o, names) for o in uow.deadlines.overrides(keys)]


def _out(o: Override, names: Mapping[str, str]) -> dict[str, object]:
    return {
        "id": o.id,
        "calendar": names.get(o.calendar, o.calendar),
        "date": o.day.isoformat(),
        "working": o.working,
        "hours": o.hours,
        "note": o.note,
        "created_by": o.created_by,
        "created_at": o.created_at.isoformat(),
    }


def add_overrides(
    uow: UnitOfWork, *, actor: Actor, items: list[OverrideIn], now: datetime
) -> list[int]:
    """Add or replace overrides (one per calendar and date) in one transaction."""
    rbac.require(actor, Permission.MANAGE_CALENDARS)
    with uow:
        ids = []
        errors: list[FieldError] = []
        for item in items:
            errors += _check(item)
        if errors:
            raise InvalidInput(errors)
        for item in items:
            key = resolve_calendar(uow, item.calendar)
            ids.append(
                uow.deadlines.upsert_override(
                    key,
                    item.day,
                    item.working,
                    item.hours.strip(),
                    item.note.strip(),
                    actor.user_id,
                    now,
                )
            )
        uow.commit()
        invalidate(uow)
        log.info("calendar_overrides_changed", count=len(ids), by=actor.user_id)
        return ids


def delete_override(uow: UnitOfWork, *, actor: Actor, override_id: int) -> None:
    rbac.require(actor, Permission.MANAGE_CALENDARS)
    with uow:
        if uow.deadlines.delete_override(override_id) is None:
            raise NotFound("日历例外 calendar override", override_id)
        uow.commit()
        invalidate(uow)


# --- import ---------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "work", "working", "上班", "工作日", "是"}
_FALSE = {"0", "false", "no", "rest", "off", "holiday", "休息", "休息日", "放假", "否"}


@dataclass(frozen=True)
class RowProblem:
    row: int
    errors: tuple[FieldError, ...]


def parse_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
) -> tuple[list[tuple[int, OverrideIn]], list[RowProblem]]:
    """CSV rows (calendar,date,working,hours,note) -> (row, override) and per-row problems."""
    good: list[tuple[int, OverrideIn]] = []
    bad: list[RowProblem] = []
    for n, row in rows:
        errors: list[FieldError] = []
        raw_day = (row.get("date") or "").strip()
        raw_working = (row.get("working") or "").strip().lower()
        day = None
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            errors.append(
                FieldError(
                    "date",
                    "invalid_date",
                    f"日期无效：{raw_day!r}（应为 YYYY-MM-DD）",
                    f"invalid date {raw_day!r} (YYYY-MM-DD)",
                )
            )
        if raw_working not in _TRUE | _FALSE:
            errors.append(
                FieldError(
                    "working",
                    "invalid_choice",
                    f"working 应为 work/rest（上班/休息），而不是 {raw_working!r}",
                    f"working must be work or rest, not {raw_working!r}",
                )
            )
        item = OverrideIn(
            calendar=(row.get("calendar") or PLATFORM).strip() or PLATFORM,
            day=day or date.min,
            working=raw_working in _TRUE,
            hours=(row.get("hours") or "").strip(),
            note=(row.get("note") or "").strip(),
        )
        errors += _check(item)
        if errors:
            bad.append(RowProblem(n, tuple(errors)))
        else:
            good.append((n, item))
    return good, bad


def import_overrides(
    uow: UnitOfWork, *, actor: Actor, rows: Iterable[tuple[int, Mapping[str, str]]], now: datetime
) -> tuple[int, list[RowProblem]]:
    """Write every good row (unknown calendars are row problems too): (written, problems)."""
    good, bad = parse_rows(rows)
    rbac.require(actor, Permission.MANAGE_CALENDARS)
    written = 0
    with uow:
        for n, item in good:
            try:
                key = resolve_calendar(uow, item.calendar)
            except InvalidInput as exc:
                bad.append(RowProblem(n, tuple(exc.fields)))
                continue
            uow.deadlines.upsert_override(
                key, item.day, item.working, item.hours, item.note, actor.user_id, now
            )
            written += 1
        uow.commit()
        invalidate(uow)
    return written, sorted(bad, key=lambda p: p.row)
