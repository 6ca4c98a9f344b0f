"""Full-text search on a real database (SQLite FTS5 and PostgreSQL tsvector): matching, scope,
masking, pagination and reindexing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete

from kefu.bootstrap import App
from kefu.db.schema_search import case_search
from kefu.domain.errors import InvalidInput
from kefu.domain.types import Actor
from kefu.services import search as search_svc
from tests.builders import a_complaint, a_user, an_order, imported


@pytest.fixture
def people(app: App) -> dict[str, Actor]:
    people = {
        "buyer": a_user(app, "buyer1", "buyer"),
        "other_buyer": a_user(app, "buyer2", "buyer"),
        "seller": a_user(app, "seller1", "seller", shop="shop-a"),
        "other_seller": a_user(app, "seller2", "seller", shop="shop-b"),
        "agent": a_user(app, "agent1", "agent"),
        "tech": a_user(app, "tech1", "tech_support", teams=["tech"]),
        "supervisor": a_user(app, "sup", "supervisor"),
    }
    imported(app, an_order("DD0001"), an_order("DD0002", buyer="buyer2", shop="shop-b"))
    return people


def _file(app: App, buyer: Actor, subject: str, description: str, **kw: Any) -> Any:
    return a_complaint(app, buyer, subject=subject, description=description, **kw)


def _reindex(app: App) -> int:
    # Filing indexes each case in its own transaction; reindexing rebuilds the same documents.
    return search_svc.reindex_all(app.uow)


def _numbers(app: App, actor: Actor, q: str, **kw: Any) -> list[str]:
    page = search_svc.search_cases(app.reader(), actor=actor, q=q, **kw)
    return [item.number for item in page.items]


@pytest.fixture
def filed(app: App, people: dict[str, Actor]) -> dict[str, Any]:
    cases = {
        "refund": _file(app, people["buyer"], "申请退款", "耳机右耳没有声音，要求退款。"),
        "screen": _file(app, people["buyer"], "iPhone 14 屏幕碎了", "收到时屏幕有裂痕，外箱完好。"),
        "battery": _file(
            app, people["buyer"], "iPhone 电池鼓包", "用了三天电池就鼓起来了，很危险。"
        ),
        "other": _file(
            app,
            people["other_buyer"],
            "发票没开",
            "商家一直不给开发票，催了好几次。",
            order_no="DD0002",
        ),
    }
    assert _reindex(app) == 4
    return cases


def test_a_two_character_word_finds_exactly_the_cases_containing_it(
    app: App, people: dict[str, Actor], filed: dict[str, Any]
) -> None:
    assert _numbers(app, people["supervisor"], "退款") == [filed["refund"].number]
    assert _numbers(app, people["supervisor"], "发票") == [filed["other"].number]
    assert _numbers(app, people["supervisor"], "没有声音") == [filed["refund"].number]
    assert _numbers(app, people["supervisor"], "物流") == []


def test_mixed_latin_and_chinese_queries_need_every_term(
    app: App, people: dict[str, Actor], filed: dict[str, Any]
) -> None:
    sup = people["supervisor"]
    assert _numbers(app, sup, "iPhone 屏幕") == [filed["screen"].number]
    assert _numbers(app, sup, "ｉｐｈｏｎｅ") == [filed["battery"].number, filed["screen"].number]
    assert _numbers(app, sup, "iphone屏幕碎了") == [filed["screen"].number]
    assert _numbers(app, sup, "iPhone 退款") == []


def test_case_and_order_numbers_find_their_cases(
    app: App, people: dict[str, Actor], filed: dict[str, Any]
) -> None:
    sup = people["supervisor"]
    assert _numbers(app, sup, filed["screen"].number) == [filed["screen"].number]
    assert _numbers(app, sup, filed["screen"].number.lower()) == [filed["screen"].number]
    assert _numbers(app, sup, "DD0002") == [filed["other"].number]
    assert len(_numbers(app, sup, "DD0001")) == 3


@pytest.mark.parametrize(
    ("role", "sees_refund"),
    [
        ("buyer", True),
        ("other_buyer", False),
        ("seller", True),
        ("other_seller", False),
        ("agent", True),
        ("tech", False),
        ("supervisor", True),
    ],
)
def test_search_sees_what_the_queue_sees(
    app: App, people: dict[str, Actor], filed: dict[str, Any], role: str, sees_refund: bool
) -> None:
    found = _numbers(app, people[role], "退款")
    assert found == ([filed["refund"].number] if sees_refund else [])
    others = _numbers(app, people[role], "发票")
    assert others == (
        [filed["other"].number]
        if role in ("other_buyer", "other_seller", "agent", "supervisor")
        else []
    )


def test_contact_details_are_masked_like_queue_rows(
    app: App, people: dict[str, Actor], filed: dict[str, Any]
) -> None:
    def phone(role: str) -> str:
        page = search_svc.search_cases(app.reader(), actor=people[role], q="退款")
        return page.items[0].contact_phone

    assert phone("buyer") == "13812345678"
    for role in ("seller", "agent", "supervisor"):
        assert phone(role) != "13812345678"
        assert phone(role).startswith("138")
        assert "*" in phone(role)


def test_pages_are_newest_first_and_the_cursor_continues_without_repeats(
    app: App, people: dict[str, Actor]
) -> None:
    made = [
        _file(app, people["buyer"], f"快递延误第{i}次", f"快递延误，第{i}次催促仍未发货。")
        for i in range(5)
    ]
    _reindex(app)
    seen: list[str] = []
    cursor = None
    sizes = []
    while True:
        page = search_svc.search_cases(
            app.reader(), actor=people["supervisor"], q="快递延误", limit=2, cursor=cursor
        )
        seen += [i.number for i in page.items]
        sizes.append(len(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert seen == [c.number for c in reversed(made)]


def test_indexing_replaces_the_previous_document(
    app: App, people: dict[str, Actor], filed: dict[str, Any]
) -> None:
    case = filed["refund"]
    with app.uow() as uow:
        uow.search.index_case(case.id, " 换货  kf1 ")  # stray spaces are tolerated
        uow.commit()
    assert _numbers(app, people["supervisor"], "退款") == []
    assert _numbers(app, people["supervisor"], "换货") == [case.number]
    with app.uow() as uow:
        search_svc.reindex_case(uow, case)
        assert uow.search.indexed_count() == 4
        uow.commit()
    assert _numbers(app, people["supervisor"], "退款") == [case.number]
    assert _numbers(app, people["supervisor"], "换货") == []


def test_reindex_all_rebuilds_a_lost_index(
    app: App, people: dict[str, Actor], filed: dict[str, Any]
) -> None:
    with app.uow() as uow:
        uow.conn.execute(delete(case_search))
        uow.commit()
    assert _numbers(app, people["supervisor"], "退款") == []
    done: list[int] = []
    assert search_svc.reindex_all(app.uow, size=3, progress=done.append) == 4
    assert done == [3, 1]
    assert _numbers(app, people["supervisor"], "退款") == [filed["refund"].number]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "退" * 101}, "q"),
        ({"q": "退款", "cursor": "not-a-cursor"}, "cursor"),
        ({"q": "退款", "limit": 0}, "limit"),
    ],
)
def test_bad_input_is_refused_with_the_field(
    app: App, people: dict[str, Actor], kw: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        search_svc.search_cases(app.reader(), actor=people["supervisor"], **kw)
    assert [f.field for f in err.value.fields] == [field]


def test_a_case_is_searchable_as_soon_as_it_is_filed(app: App, people: dict[str, Actor]) -> None:
    case = _file(app, people["buyer"], "运费险", "退货时运费险没有自动理赔，客服说要我自己申请。")
    assert _numbers(app, people["supervisor"], "运费险") == [case.number]
    assert _numbers(app, people["buyer"], case.number) == [case.number]
