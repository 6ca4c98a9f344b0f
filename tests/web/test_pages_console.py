"""Console pages: correct a category, assign, review flagged buyers, duty — with role and CSRF
checks, version conflicts and bilingual errors on the page (never JSON)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from kefu.bootstrap import App
from tests.builders import COMPLAINT_TEXTS, a_user
from tests.web.page_helpers import csrf, login

Headers = dict[str, dict[str, str]]
COMPLAINT = {
    "kind": "complaint",
    "subject": "耳机右耳没有声音",
    "order_no": "DD0001",
    "line_nos": [1],
    "description": COMPLAINT_TEXTS[0],
    "contact_phone": "13812345678",
}


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)


def _file(client: TestClient, headers: Headers, text: str = COMPLAINT_TEXTS[0]) -> dict:  # type: ignore[type-arg]
    r = client.post(
        "/api/v1/cases", headers=headers["buyer"], json={**COMPLAINT, "description": text}
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def _page_error(r, status: int, *texts: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-testid="errors"' in r.text
    for text in texts:
        assert text in r.text


def test_an_agent_corrects_the_category_and_it_is_exported(
    client: TestClient, headers: Headers
) -> None:
    number = _file(client, headers)["number"]
    login(client, "agent1")
    page = client.get(f"/cases/{number}").text
    assert 'data-testid="category-form"' in page
    assert 'data-testid="assign-form"' in page
    r = client.post(
        f"/cases/{number}/category",
        data={"csrf": csrf(page), "category": "描述不符/虚假宣传", "version": _version(page)},
        follow_redirects=False,
    )
    assert (r.status_code, r.headers["location"]) == (303, f"/cases/{number}")
    assert '<option value="描述不符/虚假宣传" selected>' in client.get(f"/cases/{number}").text
    exported = client.get("/api/v1/classification/overrides", headers=headers["supervisor"])
    assert [i["label"] for i in exported.json()["items"]] == ["描述不符/虚假宣传"]
    login(client, "buyer1")
    own = client.get(f"/cases/{number}").text
    assert 'data-testid="console"' not in own


def test_an_agent_assigns_within_the_team_and_is_refused_outside_it(
    app: App, client: TestClient, headers: Headers
) -> None:
    a_user(app, "agent2", "agent")
    number = _file(client, headers)["number"]
    login(client, "agent1")
    page = client.get(f"/cases/{number}").text
    assert '<option value="agent2">' in page  # a team mate is offered
    r = client.post(
        f"/cases/{number}/assign",
        data={"csrf": csrf(page), "team": "cs", "assignee": "agent2", "version": _version(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(f"/cases/{number}").text
    assert "团队 Team：cs · 负责人 Assignee：agent2" in page
    outside = client.post(
        f"/cases/{number}/assign",
        data={"csrf": csrf(page), "team": "tech", "assignee": "", "version": _version(page)},
    )
    _page_error(outside, 403, "只能在自己的团队内分配", "agents assign within their teams")
    assert "团队 Team：cs · 负责人 Assignee：agent2" in outside.text  # nothing changed
    unknown = client.post(
        f"/cases/{number}/assign",
        data={"csrf": csrf(page), "team": "cs", "assignee": "nobody", "version": _version(page)},
    )
    _page_error(unknown, 422, "没有可分配的客服 nobody", "no staff member nobody")
    no_team = client.post(
        f"/cases/{number}/assign",
        data={"csrf": csrf(page), "team": "nope", "version": _version(page)},
    )
    _page_error(no_team, 422, "没有团队 nope", "no team nope")


def test_a_stale_form_says_someone_else_changed_the_case_and_shows_it(
    client: TestClient, headers: Headers
) -> None:
    case = _file(client, headers)
    number = case["number"]
    login(client, "agent1")
    page = client.get(f"/cases/{number}").text
    changed = client.post(
        f"/api/v1/cases/{number}/category",
        headers=headers["supervisor"],
        json={"version": case["version"], "category": "其他"},
    )
    assert changed.status_code == 200, changed.text
    stale = client.post(
        f"/cases/{number}/category",
        data={"csrf": csrf(page), "category": "服务态度", "version": _version(page)},
    )
    _page_error(stale, 409, "已被他人修改", "someone else changed this case")
    assert '<option value="其他" selected>' in stale.text  # the current state is shown
    assert f'name="version" value="{changed.json()["version"]}"' in stale.text
    stale_assign = client.post(
        f"/cases/{number}/assign",
        data={"csrf": csrf(page), "team": "cs", "version": _version(page)},
    )
    _page_error(stale_assign, 409, "已被他人修改", "reload and retry")


REJECTED_TEXTS = ("太差了太差了太差了太差了", "垃圾垃圾垃圾垃圾垃圾垃圾", "烂烂烂烂烂烂烂烂烂烂")


def test_a_supervisor_reviews_a_flagged_buyer(client: TestClient, headers: Headers) -> None:
    for text in REJECTED_TEXTS:
        assert _file(client, headers, text)["status"] == "rejected"
    login(client, "agent1")
    assert 'data-testid="flags-link"' not in client.get("/cases").text
    _page_error(client.get("/flags"), 403, "当前角色无权限", "review_buyer_flags")
    login(client, "sup")
    assert 'data-testid="flags-link"' in client.get("/cases").text
    page = client.get("/flags")
    assert page.status_code == 200
    assert "buyer1" in page.text
    assert "repeated_rejections" in page.text
    flag_id = re.search(r'action="/flags/(\d+)/review"', page.text)
    assert flag_id
    url = f"/flags/{flag_id.group(1)}/review"
    bad = client.post(url, data={"csrf": csrf(page.text), "decision": "maybe"})
    _page_error(bad, 422, "复核结论只能是", "decision must be cleared or confirmed")
    r = client.post(
        url, data={"csrf": csrf(page.text), "decision": "confirmed"}, follow_redirects=False
    )
    assert (r.status_code, r.headers["location"]) == (303, "/flags")
    assert "没有待复核的标记" in client.get("/flags").text
    flags = client.get("/api/v1/buyer-flags?status=confirmed", headers=headers["supervisor"])
    assert [f["status"] for f in flags.json()["items"]] == ["confirmed"]
    again = client.post(url, data={"csrf": csrf(page.text), "decision": "cleared"})
    _page_error(again, 404, "open flag")


def test_an_agent_going_off_duty_is_skipped_by_auto_assignment(
    client: TestClient, headers: Headers
) -> None:
    login(client, "agent1")
    page = client.get("/duty").text
    assert 'data-testid="duty-agent1"' in page
    assert re.findall(r'<tr data-testid="duty-([a-z0-9_]+)"', page) == ["agent1"]  # own row only
    assert "离岗 off duty" in page
    shift = {"shift_start": "00:00", "shift_end": "23:59"}
    on = client.post(
        "/duty/agent1",
        data={"csrf": csrf(page), "on_duty": "true", **shift},
        follow_redirects=False,
    )
    assert (on.status_code, on.headers["location"]) == (303, "/duty")
    assert "在岗 on duty" in client.get("/duty").text
    first = _file(client, headers, COMPLAINT_TEXTS[1])["number"]
    assert "负责人 Assignee：agent1" in client.get(f"/cases/{first}").text

    page = client.get("/duty").text
    off = client.post(
        "/duty/agent1", data={"csrf": csrf(page), "on_duty": "false", **shift}
    )  # the toggle button's form
    assert off.status_code == 200
    assert "离岗 off duty" in off.text
    second = _file(client, headers, COMPLAINT_TEXTS[2])
    assert second["assignee_id"] is None
    assert "负责人 Assignee：—" in client.get(f"/cases/{second['number']}").text

    others = client.post("/duty/sup", data={"csrf": csrf(page), "on_duty": "true", **shift})
    _page_error(others, 403, "只能设置自己的值班状态", "only your own duty status")


def test_a_supervisor_sees_and_sets_everyones_duty(client: TestClient, headers: Headers) -> None:
    login(client, "sup")
    page = client.get("/duty").text
    assert set(re.findall(r'<tr data-testid="duty-([a-z0-9_]+)"', page)) == {
        "agent1",
        "tech1",
        "sup",
    }
    bad = client.post(
        "/duty/agent1",
        data={"csrf": csrf(page), "on_duty": "true", "shift_start": "9am", "shift_end": "18:00"},
    )
    _page_error(bad, 422, "时间格式应为 HH:MM", "time must be HH:MM")
    assert 'value="9am"' in bad.text  # what was typed is kept
    ok = client.post(
        "/duty/tech1",
        data={"csrf": csrf(page), "on_duty": "true", "shift_start": "08:00", "shift_end": "20:00"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    row = client.get("/duty").text.split('data-testid="duty-tech1"')[1].split("</tr>")[0]
    assert "在岗 on duty" in row
    assert 'value="08:00"' in row


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        ("buyer1", "/duty", 403),
        ("seller1", "/duty", 403),
        ("buyer1", "/flags", 403),
        ("agent1", "/flags", 403),
        ("tech1", "/flags", 403),
        ("admin", "/flags", 200),
        ("admin", "/duty", 200),
    ],
)
def test_pages_answer_each_role(
    client: TestClient, headers: Headers, who: str, path: str, status: int
) -> None:
    login(client, who)
    r = client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("text/html")


def test_wrong_roles_get_pages_not_json(client: TestClient, headers: Headers) -> None:
    number = _file(client, headers)["number"]
    login(client, "buyer1")
    page = client.get(f"/cases/{number}").text
    r = client.post(
        f"/cases/{number}/category",
        data={"csrf": csrf(page), "category": "其他", "version": "1"},
    )
    _page_error(r, 403, "当前角色无权限", "recategorize")
    r = client.post(f"/cases/{number}/assign", data={"csrf": csrf(page), "version": "1"})
    _page_error(r, 403, "assign_case")
    r = client.post("/flags/1/review", data={"csrf": csrf(page), "decision": "cleared"})
    _page_error(r, 403, "review_buyer_flags")
    login(client, "tech1")  # another team: the case is invisible, and says so on a page
    page = client.get("/duty").text
    r = client.post(
        f"/cases/{number}/category",
        data={"csrf": csrf(page), "category": "其他", "version": "1"},
    )
    _page_error(r, 404, "未找到案件")


def test_forms_need_a_session_and_a_valid_csrf_token(client: TestClient, headers: Headers) -> None:
    number = _file(client, headers)["number"]
    posts = [
        (f"/cases/{number}/category", {"category": "其他", "version": "1"}),
        (f"/cases/{number}/assign", {"team": "cs", "version": "1"}),
        ("/flags/1/review", {"decision": "cleared"}),
        ("/duty/agent1", {"on_duty": "true", "shift_start": "00:00", "shift_end": "23:59"}),
    ]
    pages = [f"/cases/{number}", f"/cases/{number}", "/flags", "/duty"]
    for (path, data), page in zip(posts, pages, strict=True):
        r = client.post(path, data=data, follow_redirects=False)
        assert r.status_code == 303, path
        # Back to the page the form is on after logging in: the form's URL answers only POST.
        assert r.headers["location"] == f"/login?next={page}", path
    for path in ("/flags", "/duty"):
        assert client.get(path, follow_redirects=False).headers["location"].startswith("/login")
    login(client, "sup")
    for path, data in posts:
        for token in (None, "0" * 64):
            sent = data if token is None else {**data, "csrf": token}
            r = client.post(path, data=sent)
            _page_error(r, 422, "页面已过期", "the form expired")
    assert (
        "其他" not in client.get("/api/v1/classification/overrides", headers=headers["admin"]).text
    )
