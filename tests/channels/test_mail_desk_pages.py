"""The mail failures page: who sees it, CSRF on its buttons, and a given-up mail taken in again
and a given-up reply sent again by a click, for real (a database trigger breaks the intake; an
aiosmtpd relay on loopback refuses the reply)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.services.mail_retry import MAX_FAILED_ATTEMPTS
from tests.channels import mail_desk_steps as steps
from tests.channels.conftest import POISON, WHY
from tests.channels.test_mail_send_failures import Relay
from tests.web.page_helpers import csrf, field_error, login

Desk = tuple[TestClient, dict[str, dict[str, str]]]
PAGE = "/mail/failures"
LINK = 'data-testid="mail-failures-link"'


@pytest.fixture
def relays() -> Iterator[list[Relay]]:
    yield from steps.relays()


def _page_error(r, status: int, *texts: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert 'data-testid="errors"' in r.text
    for text in texts:
        assert text in r.text


def test_only_supervisors_and_admins_see_the_page_and_its_link(desk: Desk) -> None:
    client, _ = desk
    anonymous = client.get(PAGE, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/mail/failures"
    for username in ("buyer1", "seller1", "agent1"):
        login(client, username)
        assert LINK not in client.get("/cases").text, username
        _page_error(client.get(PAGE), 403, "当前角色无权限", "manage_mail")
    for username in ("sup", "admin"):
        login(client, username)
        assert LINK in client.get("/cases").text, username
        page = client.get(PAGE)
        assert page.status_code == 200, page.text
        assert "没有接收失败的邮件" in page.text
        assert "没有未能发出的邮件" in page.text


def test_a_given_up_mail_is_taken_in_again_through_the_page(
    app: App, clock: FixedClock, desk: Desk, poisoned: Callable[[bool], None]
) -> None:
    client, _ = desk
    poisoned(True)
    given_up = steps.give_up_inbound(app, clock)
    url = f"/mail/inbound/{given_up.id}/retake"
    login(client, "sup")
    page = client.get(PAGE).text
    row = _row(page, f"inbound-{given_up.id}")
    escaped = POISON.replace("<", "&lt;").replace(">", "&gt;")
    for shown in ("已放弃 given up", "buyer@example.com", "POISON 耳机坏了", escaped, WHY):
        assert shown in row, shown
    assert f"<td>{MAX_FAILED_ATTEMPTS + 1}</td>" in row
    assert "[SQL:" not in row
    assert f'action="{url}"' in row

    # A form without its token, or another session's, changes nothing.
    for token in ("", "0" * 64):
        stale = client.post(url, data={"csrf": token})
        _page_error(stale, 422, field_error("csrf"), "页面已过期", "the form expired")
    login(client, "agent1")
    agent_page = client.get("/cases").text
    _page_error(client.post(url, data={"csrf": csrf(agent_page)}), 403, "manage_mail")
    assert steps.mail_record(app, mail_id=given_up.id).verdict == "rejected"

    # Not mended yet: it fails again and the page says so; once mended, it is taken in.
    login(client, "sup")
    page = client.get(PAGE).text
    r = client.post(url, data={"csrf": csrf(page)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"{PAGE}?still_fails={given_up.id}")
    shown = client.get(r.headers["location"]).text
    assert f"重新接收邮件 #{given_up.id} 仍然失败" in shown
    assert f"mail #{given_up.id} still fails" in shown
    assert "已放弃 given up" in _row(shown, f"inbound-{given_up.id}")
    poisoned(False)
    r = client.post(url, data={"csrf": csrf(shown)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"{PAGE}?retaken={given_up.id}")
    done = client.get(r.headers["location"]).text
    assert f"已重新接收邮件 #{given_up.id} / mail #{given_up.id} was taken in again" in done
    assert f"inbound-{given_up.id}" not in done
    retaken = steps.mail_record(app, mail_id=given_up.id)
    assert retaken.verdict == "case_opened"
    with app.uow() as uow:
        number = uow.cases.get(retaken.case_id or 0).number
        failure = uow.channels.mail.failure(POISON)
    assert failure is not None
    assert (failure.retakes, failure.retaken_by) == (2, "sup")
    (note,) = steps.internal_notes(app, number)
    assert "sup 于" in note

    # Pressing the button again (a second tab) is refused in words, on the page.
    again = client.post(url, data={"csrf": csrf(done)})
    _page_error(again, 409, "没有被放弃", "was not given up")


def test_a_given_up_reply_is_sent_again_through_the_page(
    app: App, desk: Desk, relays: list[Relay]
) -> None:
    client, _ = desk
    refusing = steps.start(relays, rcpt_reply=steps.REFUSAL)
    number, failed = steps.give_up_reply(app, refusing)
    url = f"/mail/outbound/{failed.id}/resend"
    login(client, "admin")
    page = client.get(PAGE).text
    row = _row(page, f"outbound-{failed.id}")
    assert f'<a href="/cases/{number}">{number}</a>' in row
    assert "li@example.cn" in row
    assert "发信服务器永久拒绝了这封邮件" in row
    assert "550" in row
    assert f'action="{url}"' in row

    stale = client.post(url, data={"csrf": ""})
    _page_error(stale, 422, field_error("csrf"))
    assert steps.mail_record(app, mail_id=failed.id).verdict == "failed"

    r = client.post(url, data={"csrf": csrf(page)}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, f"{PAGE}?resent={failed.id}")
    shown = client.get(r.headers["location"]).text
    assert f"已安排重新发送邮件 #{failed.id}" in shown
    assert f"outbound-{failed.id}" not in shown
    assert "admin" in steps.internal_notes(app, number)[-1]
    accepting = steps.start(relays)
    steps.relay_as_worker(app, accepting.transport)
    (delivered,) = accepting.wait_for(1)
    assert delivered.rcpt_tos == ["li@example.cn"]

    again = client.post(url, data={"csrf": csrf(shown)})
    _page_error(again, 409, "没有被放弃", "was not given up")


def _row(html: str, testid: str) -> str:
    found = re.search(rf'<tr data-testid="{testid}">(.*?)</tr>', html, re.S)
    assert found, testid
    return found.group(1)
