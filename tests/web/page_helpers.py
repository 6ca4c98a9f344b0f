"""Shared steps of the page tests: log a test client in, read a form's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

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
