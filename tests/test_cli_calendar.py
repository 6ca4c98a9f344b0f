"""`kefu calendar import FILE.csv`: overrides written, bad rows named in Chinese and English."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from kefu.bootstrap import App, build_app
from kefu.cli import app_cli
from kefu.config import load_settings
from kefu.domain.text_faults import NUL
from kefu.domain.types import SYSTEM_ACTOR
from kefu.services import calendars as calendar_svc

CSV = """calendar,date,working,hours,note
platform,2027-01-01,rest,,元旦 New Year
platform,2027-02-06,work,09:00-18:00,春节调休上班
platform,2027-13-01,rest,,bad date
shop:nope,2027-01-02,rest,,unknown shop
platform,2027-01-03,maybe,,bad flag
"""


def test_calendar_import_reports_each_bad_row(var_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "overrides.csv"
    source.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(app_cli, ["calendar", "import", str(source)])
    assert result.exit_code == 1, result.output
    assert "已导入 imported 2, 出错 failed 3" in result.output
    assert "row 4: date: 日期无效" in result.output
    assert "row 5: calendar: 没有日历 shop:nope" in result.output
    assert "row 6: working: working 应为 work/rest" in result.output
    assert "must be work or rest" in result.output
    app = build_app(load_settings())
    items = calendar_svc.list_overrides(app.reader(), actor=SYSTEM_ACTOR, calendar="platform")
    assert [(i["date"], i["working"], i["hours"]) for i in items] == [
        ("2027-01-01", False, ""),
        ("2027-02-06", True, "09:00-18:00"),
    ]
    with app.reader() as uow:
        cal = calendar_svc.calendar_for(uow, ("platform",))
    assert cal.is_working_day(date(2027, 1, 1)) == (False, False)
    app.engine.dispose()


def test_calendar_import_of_a_missing_file_fails_cleanly(var_dir: Path) -> None:
    result = CliRunner().invoke(app_cli, ["calendar", "import", "/nonexistent.csv"])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_calendar_import_refuses_text_no_column_can_hold(cli_app: App, tmp_path: Path) -> None:
    # A NUL in a note or a calendar code crashed the import on PostgreSQL (SQLite stored it).
    source = tmp_path / "overrides.csv"
    rows = "platform,2027-01-01,rest,,元旦\x00\nshop:a\x00b,2027-01-02,rest,,\n"
    source.write_text(CSV.splitlines()[0] + "\n" + rows, encoding="utf-8")
    result = CliRunner().invoke(app_cli, ["calendar", "import", str(source)])
    assert result.exit_code == 1, result.output
    assert "已导入 imported 0, 出错 failed 2" in result.output
    assert f"row 2: note: {NUL[1]}" in result.output
    assert f"row 3: calendar: {NUL[1]}" in result.output
