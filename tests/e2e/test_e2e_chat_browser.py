"""Browser chat on demo data: buyer and agent talk live over the WebSocket, then file a case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.helpers import Server, run_cli, start_server
from tests.e2e.test_e2e_browser import (
    DEMO_PASSWORD,
    TIMEOUT_MS,
    submit,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

QUESTION = "蓝牙耳机右耳完全没有声音，重新配对也不行，想换一副。"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("chat-demo") / "var"
    loaded = run_cli(var_dir, "demo", "--no-serve")
    assert loaded.returncode == 0, loaded.stderr + loaded.stdout
    server = start_server(var_dir)
    try:
        yield server
    finally:
        server.stop()


def open_as(browser: Any, server: Server, username: str, next_path: str, *, js: bool = True) -> Any:
    """A browser context of its own (own cookies), logged in through the form."""
    context = browser.new_context(base_url=server.base_url, locale="zh-CN", java_script_enabled=js)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login?next=" + quote(next_path, safe=""))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.base_url + next_path)
    return page


def line(page: Any, text: str) -> Any:
    return page.locator("[data-testid=transcript] li .text", has_text=text)


def wait_live(page: Any) -> None:
    """The socket is open (chat.js shows the marker on `open`)."""
    page.locator("[data-testid=live]").wait_for(state="visible")


def test_buyer_and_agent_chat_live_then_the_agent_files_a_case(
    browser: Any, demo_server: Server, tmp_path: Path
) -> None:
    server = demo_server
    from playwright.sync_api import expect  # waits for live updates instead of sleeping

    # -- buyer1 starts a chat about one of their orders from the header link -----------------
    buyer = open_as(browser, server, "buyer1", "/cases")
    order_link = buyer.locator("a[data-testid^='file-']").first
    order_no = str(order_link.get_attribute("data-testid")).removeprefix("file-")
    with buyer.expect_navigation():
        buyer.get_by_test_id("chats-link").click()
    assert buyer.url.endswith("/chats")
    form = buyer.get_by_test_id("start-chat-form")
    form.locator("input[name=order_no]").fill(order_no)
    form.locator("textarea[name=body]").fill(QUESTION)
    submit(buyer, "[data-testid=start-chat-form] button[type=submit]")
    found = re.search(r"/chats/(\d+)$", buyer.url)
    assert found, buyer.url
    chat_id = int(found.group(1))
    assert line(buyer, QUESTION).count() == 1
    wait_live(buyer)
    expect(buyer.get_by_test_id("chat-status")).to_have_text("等待接入 waiting")
    # Set on this document only: still there later means no reload happened in between.
    buyer.evaluate("window.__sameDocument = true")

    # -- agent1 sees it waiting and joins; the buyer's page learns it live ---------------------
    agent = open_as(browser, server, "agent1", "/chats")
    submit(agent, f"[data-testid=join-{chat_id}]")
    assert agent.url.endswith(f"/chats/{chat_id}")
    wait_live(agent)
    expect(buyer.get_by_test_id("chat-status")).to_have_text("进行中 active")

    # -- both talk; lines cross over the WebSocket without reloads -----------------------------
    agent.fill("textarea[name=body]", "您好，我是客服李娜，马上为您登记换货。")
    agent.press("textarea[name=body]", "Enter")
    expect(line(buyer, "马上为您登记换货")).to_have_count(1)
    expect(line(agent, "马上为您登记换货")).to_have_count(1)
    assert agent.locator("textarea[name=body]").input_value() == ""
    buyer.fill("textarea[name=body]", "好的，耳机是上周签收的。")
    buyer.click("form.composer button[type=submit]")
    expect(line(agent, "耳机是上周签收的")).to_have_count(1)
    expect(buyer.locator("li.chat-line.pending")).to_have_count(0)  # acknowledged = stored
    assert buyer.evaluate("window.__sameDocument") is True
    assert agent.url.endswith(f"/chats/{chat_id}")

    # -- without JavaScript the composer is a plain form, and the others still see it live ----
    plain = open_as(browser, server, "buyer1", f"/chats/{chat_id}", js=False)
    plain.fill("textarea[name=body]", "补充：左耳正常。")
    submit(plain, "form.composer button[type=submit]")
    assert plain.url.endswith(f"/chats/{chat_id}#composer")
    assert line(plain, "补充：左耳正常。").count() == 1
    expect(line(agent, "补充：左耳正常。")).to_have_count(1)
    expect(line(buyer, "补充：左耳正常。")).to_have_count(1)
    plain.context.close()

    # -- the agent turns the chat into a case; the transcript goes with it ---------------------
    agent.get_by_test_id("to-case").click()
    case_form = agent.get_by_test_id("case-form")
    case_form.locator("select[name=kind]").select_option("aftersales")
    case_form.locator("input[name=subject]").fill("蓝牙耳机右耳无声，申请换货")
    submit(agent, "[data-testid=file-case]")
    assert re.search(r"/cases/KF\d{14}$", agent.url), agent.url
    timeline = agent.get_by_test_id("timeline").inner_text()
    assert "马上为您登记换货" in timeline
    assert agent.locator("a", has_text=f"chat-{chat_id}.txt").count() == 1
    facts = agent.locator("section.facts").inner_text()
    assert "售后 after-sales" in facts
    assert "chat" in facts
    assert order_no in facts

    expect(buyer.get_by_test_id("chat-status")).to_have_text("已结束 closed")
    expect(buyer.get_by_test_id("chat-closed")).to_be_visible()
    expect(buyer.get_by_test_id("chat-case")).to_be_visible()
    number = agent.url.rsplit("/", 1)[1]
    expect(buyer.get_by_test_id("chat-case-link")).to_have_text(number)  # live, no reload
    expect(buyer.get_by_test_id("composer")).to_be_hidden()
    assert buyer.evaluate("window.__sameDocument") is True

    shot = tmp_path / "buyer-chat.png"
    buyer.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    buyer.context.close()
    agent.context.close()
