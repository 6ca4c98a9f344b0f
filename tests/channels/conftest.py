"""Channel test helpers: loopback ports, mail builders, the intake and relay wired to an App."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kefu.bootstrap import App
from kefu.services.mail_intake import IntakeResult, intake_mail
from kefu.services.mail_outbound import MailConfig, MailTransport, mail_handler
from kefu.services.notifications import MAIL_TOPIC
from kefu.services.relay import relay_outbox
from kefu.web.app import create_app
from tests.builders import a_token, a_user

OUR_ADDRESS = "kefu@shop.example"
MAIL = MailConfig(from_addr=OUR_ADDRESS)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def port_factory() -> Callable[[], int]:
    return free_port


def a_mail(
    *,
    sender: str = "buyer@example.com",
    subject: str = "耳机坏了",
    body: str = "11月13日签收的蓝牙耳机右耳没有声音，重新配对也不行，请处理。",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"刘洋 <{sender}>"
    msg["To"] = OUR_ADDRESS
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for filename, data, ctype in attachments or []:
        major, _, minor = ctype.partition("/")
        msg.add_attachment(data, maintype=major, subtype=minor, filename=filename)
    return msg.as_bytes()


def take_in(app: App, raw: bytes) -> IntakeResult:
    return intake_mail(
        app.uow(), app.storage, raw=raw, now=app.clock.now(), policy=app.policy, mail=MAIL
    )


def relay_mail(app: App, transport: MailTransport) -> int:
    handler = mail_handler(app.uow, app.storage, transport, MAIL)
    return relay_outbox(
        app.uow, worker_id="test", now=app.clock.now(), handlers={MAIL_TOPIC: handler}
    )


# A mail whose intake fails for real: the database refuses the case a POISON mail would open,
# the way a value some column cannot hold did before the parser cleaned such text.
POISON = "<poison@example.com>"
WHY = "this mail always breaks the intake"
FAULT = DBAPIError  # whichever path the refused INSERT took (db/driver.py wraps sqlite3's)

_ARM = {
    "sqlite": [
        "CREATE TRIGGER poison_case BEFORE INSERT ON cases WHEN NEW.subject LIKE 'POISON%' "
        f"BEGIN SELECT RAISE(ABORT, '{WHY}'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION poison_case() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.subject LIKE 'POISON%' THEN RAISE EXCEPTION '{WHY}'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER poison_case BEFORE INSERT ON cases FOR EACH ROW "
        "EXECUTE FUNCTION poison_case()",
    ],
}
_DISARM = {
    "sqlite": ["DROP TRIGGER IF EXISTS poison_case"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS poison_case ON cases",
        "DROP FUNCTION IF EXISTS poison_case()",
    ],
}


@pytest.fixture
def poisoned(app: App) -> Iterator[Callable[[bool], None]]:
    """poisoned(True): the database refuses the case a POISON mail opens; poisoned(False): no
    longer. Disarmed at the end whatever happened (PostgreSQL keeps its test database)."""
    dialect = app.engine.dialect.name

    def run(statements: list[str]) -> None:
        with app.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def arm(on: bool) -> None:
        run(_ARM[dialect] if on else _DISARM[dialect])

    try:
        yield arm
    finally:
        run(_DISARM[dialect])


def poison_mail() -> bytes:
    return a_mail(subject="POISON 耳机坏了", message_id=POISON)


# The console and API of the mail desk (pages_mail, api_mail): one person per role.
DESK_ROLES = {
    "buyer": ("buyer1", ["buyer"], None),
    "seller": ("seller1", ["seller"], "shop-a"),
    "agent": ("agent1", ["agent"], None),
    "supervisor": ("sup", ["supervisor"], None),
    "admin": ("admin", ["admin"], None),
}


@pytest.fixture
def desk(app: App) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """A client over the real app, and each role's bearer header (users named in DESK_ROLES)."""
    headers = {}
    for role, (username, roles, shop) in DESK_ROLES.items():
        a_user(app, username, *roles, shop=shop)
        headers[role] = {"Authorization": f"Bearer {a_token(app, username)}"}
    with TestClient(create_app(app)) as client:
        yield client, headers
