"""Shared steps of the page tests: log a test client in, read a form's CSRF token, find a
field's error."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from kefu.web.pages_labels import FIELD_LABEL
from tests.builders import PASSWORD


def login(client: TestClient, username: str) -> None:
    """Log in as `username` (any earlier session of this client is dropped first)."""
    client.cookies.clear()
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def csrf(html: str) -> str:
    """The form token a rendered page carries."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found
    return found.group(1)


def field_error(field: str) -> str:
    """How a page lists a rejected field: marked with its name, shown with its bilingual label."""
    return f'<li data-field="{field}"><strong>{FIELD_LABEL[field]}</strong>'
