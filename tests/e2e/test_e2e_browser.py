"""Browser walk-through on demo data: a buyer files a case, an agent works it, the buyer follows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.helpers import Server, run_cli, start_server, tiny_png

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

DEMO_PASSWORD = "kefu-demo-2026"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("demo") / "var"
    loaded = run_cli(var_dir, "demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    assert "demo data loaded" in loaded.stdout
    server = start_server(var_dir)
    try:
        yield server
    finally:
        server.stop()


def login(browser: Any, server: Server, username: str, next_path: str) -> Any:
    """Log in through the form and land on next_path (the form's `next` field)."""
    context = browser.new_context(base_url=server.base_url, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login?next=" + quote(next_path, safe=""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.base_url + next_path)
    assert page.get_by_test_id("whoami").inner_text().startswith(username)
    return page


def actions_on(page: Any) -> set[str]:
    return set(
        page.eval_on_selector_all("button[data-action]", "els => els.map(e => e.dataset.action)")
    )


def submit(page: Any, selector: str, expect_status: int = 200) -> None:
    """Click a form button and wait for the page it navigates to (after any redirect)."""
    with page.expect_navigation() as nav:
        page.click(selector)
    response = nav.value
    assert response is not None
    assert response.status == expect_status, f"{selector}: HTTP {response.status}"


def status_of(page: Any) -> str:
    return str(page.get_by_test_id("status").inner_text()).strip()


def test_buyer_files_agent_screens_and_accepts(
    browser: Any, demo_server: Server, tmp_path: Path
) -> None:
    server = demo_server

    # -- buyer1: the queue lists only their own orders; file a case from one ------------------
    buyer = login(browser, server, "buyer1", "/cases")
    links = buyer.locator("a[data-testid^='file-']")
    order_nos = [
        str(t).removeprefix("file-")
        for t in links.evaluate_all("els => els.map(e => e.dataset.testid)")
    ]
    assert order_nos, "buyer1 sees no orders"
    # Demo orders DD2026<i> belong to buyers[i % 3] (see kefu.demo): buyer1 owns i % 3 == 0.
    assert all(int(no[-6:]) % 3 == 0 for no in order_nos), order_nos
    order_no = order_nos[0]
    buyer.click(f"a[data-testid='file-{order_no}']")
    buyer.wait_for_url(f"{server.base_url}/cases/new?order_no={order_no}")
    form = buyer.get_by_test_id("new-case-form")
    assert buyer.locator("input[name=order_no]").input_value() == order_no
    form.locator("select[name=kind]").select_option("complaint")
    form.locator("input[name=line_nos]").first.check()
    form.locator("input[name=subject]").fill("耳机右耳没有声音")
    form.locator("input[name=contact_phone]").fill("13812345678")
    submit(buyer, "[data-testid=new-case-form] button[type=submit]", expect_status=422)

    errors = buyer.get_by_test_id("errors")
    error_text = errors.inner_text()
    assert "description" in error_text
    assert "请具体描述问题" in error_text
    assert "describe the problem" in error_text
    assert "subject" not in error_text
    assert buyer.url.endswith("/cases/new")
    assert buyer.locator("input[name=subject]").input_value() == "耳机右耳没有声音"

    buyer.locator("textarea[name=description]").fill(
        "11月13日签收，使用两天后右耳完全没有声音，重新配对也不行。"
    )
    submit(buyer, "[data-testid=new-case-form] button[type=submit]")
    assert re.search(r"/cases/KF\d{14}$", buyer.url), buyer.url
    number = buyer.url.rsplit("/", 1)[1]
    assert status_of(buyer) == "已提交"
    assert buyer.get_by_test_id("errors").count() == 0
    assert actions_on(buyer) == {"withdraw"}

    buyer.fill("textarea[name=body]", "请尽快处理，谢谢！")
    submit(buyer, "button:has-text('发送 Send')")
    assert buyer.url.endswith(f"/cases/{number}")
    assert "请尽快处理，谢谢！" in buyer.get_by_test_id("timeline").inner_text()

    png = tiny_png()
    buyer.set_input_files(
        "input[type=file][name=file]",
        files=[{"name": "broken-earbud.png", "mimeType": "image/png", "buffer": png}],
    )
    submit(buyer, "button:has-text('上传 Upload')")
    assert buyer.url.endswith(f"/cases/{number}")
    link = buyer.locator("a", has_text="broken-earbud.png")
    assert link.count() == 1
    assert f"image/png, {len(png)} B" in link.locator("xpath=..").inner_text()

    # -- agent1: sees only the allowed actions, screens and accepts -----------------------------
    agent = login(browser, server, "agent1", f"/cases/{number}")
    assert status_of(agent) == "已提交"
    assert actions_on(agent) == {"start_screening"}
    assert agent.locator("button[data-action=confirm]").count() == 0
    assert agent.locator("button[data-action=accept]").count() == 0

    agent.fill("textarea[name=body]", "内部备注：买家历史良好，优先处理")
    agent.check("input[name=internal]")
    submit(agent, "button:has-text('发送 Send')")
    assert agent.url.endswith(f"/cases/{number}")
    agent.fill("textarea[name=body]", "您好，我们已收到您的投诉，正在核实。")
    submit(agent, "button:has-text('发送 Send')")
    assert agent.url.endswith(f"/cases/{number}")
    timeline = agent.get_by_test_id("timeline").inner_text()
    assert "内部备注：买家历史良好" in timeline
    assert "正在核实" in timeline

    submit(agent, "button[data-action=start_screening]")
    assert agent.url.endswith(f"/cases/{number}")
    assert status_of(agent) == "审核中"
    assert actions_on(agent) == {"accept", "reject"}
    submit(agent, "button[data-action=accept]")
    assert agent.url.endswith(f"/cases/{number}")
    assert agent.get_by_test_id("errors").count() == 0
    assert status_of(agent) == "已受理"
    assert "forward_to_seller" in actions_on(agent)

    # -- buyer1 again: new status, public reply visible, internal note not --------------------
    buyer.reload()
    assert status_of(buyer) == "已受理"
    page_text = buyer.locator("main").inner_text()
    assert "正在核实" in page_text
    assert "内部备注" not in page_text
    assert "买家历史良好" not in buyer.content()
    assert "start_screening" not in actions_on(buyer)
    assert "accept" not in actions_on(buyer)

    shot = tmp_path / "buyer-case.png"
    buyer.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert len(data) > 1000
    assert data.startswith(b"\x89PNG\r\n\x1a\n")


def test_agent_corrects_a_category_from_the_case_page(browser: Any, demo_server: Server) -> None:
    server = demo_server
    agent = login(browser, server, "agent1", "/cases")
    first = agent.locator("a[href^='/cases/KF']").first
    number = str(first.inner_text()).strip()
    first.click()
    agent.wait_for_url(f"{server.base_url}/cases/{number}")
    form = agent.get_by_test_id("category-form")
    select = form.locator("select[name=category]")
    current = select.input_value()
    target = "发票" if current != "发票" else "其他"
    select.select_option(target)
    submit(agent, "[data-testid=recategorize]")
    assert agent.url.endswith(f"/cases/{number}")
    assert agent.get_by_test_id("errors").count() == 0
    assert agent.get_by_test_id("category-form").locator("select").input_value() == target
    assert f"类别 Category：{target}" in agent.locator("section.facts").inner_text()
    assert agent.get_by_test_id("flags-link").count() == 0
    agent.get_by_test_id("duty-link").click()
    agent.wait_for_url(f"{server.base_url}/duty")
    assert agent.locator("tr[data-testid^='duty-']").count() == 1
