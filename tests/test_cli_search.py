"""`kefu search reindex`: builds the search documents of existing cases, in batches."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete
from typer.testing import CliRunner

from kefu.bootstrap import build_app, upgrade_database
from kefu.cli import app_cli
from kefu.config import load_settings
from kefu.db.schema_search import case_search
from kefu.services import search as search_svc
from tests.builders import a_complaint, a_user, an_order, imported


def test_reindex_indexes_every_case(var_dir: Path) -> None:
    settings = load_settings()
    upgrade_database(settings)
    app = build_app(settings)
    buyer = a_user(app, "buyer1", "buyer")
    supervisor = a_user(app, "sup", "supervisor")
    imported(app, an_order("DD0001"))
    refund = a_complaint(app, buyer, subject="申请退款", description="右耳没有声音，要求退款。")
    for i in range(4):
        a_complaint(app, buyer, subject=f"物流太慢{i}", description=f"第{i}次催发货没有回应。")
    with app.uow() as uow:  # as an old database would be: cases without search documents
        uow.conn.execute(delete(case_search))
        uow.commit()

    result = CliRunner().invoke(app_cli, ["search", "reindex", "--batch", "2"])

    assert result.exit_code == 0, result.output
    assert "已索引 indexed 5 个案件 cases" in result.output
    page = search_svc.search_cases(app.reader(), actor=supervisor, q="退款")
    assert [i.number for i in page.items] == [refund.number]
    with app.reader() as uow:
        assert uow.search.indexed_count() == 5
    app.engine.dispose()
