"""HTTP fixtures: a TestClient over the real app, people with tokens, an imported order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kefu.bootstrap import App
from kefu.web.app import create_app
from tests.builders import a_token, a_user, an_order, imported


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as c:
        yield c


ROLES = {
    "buyer": ("buyer1", ["buyer"], None),
    "other_buyer": ("buyer2", ["buyer"], None),
    "seller": ("seller1", ["seller"], "shop-a"),
    "other_seller": ("seller2", ["seller"], "shop-b"),
    "agent": ("agent1", ["agent"], None),
    "tech": ("tech1", ["tech_support"], None),
    "supervisor": ("sup", ["supervisor"], None),
    "admin": ("admin", ["admin"], None),
}


@pytest.fixture
def headers(app: App) -> dict[str, dict[str, str]]:
    out = {}
    for key, (username, roles, shop) in ROLES.items():
        a_user(app, username, *roles, shop=shop, teams=["tech"] if key == "tech" else None)
        out[key] = {"Authorization": f"Bearer {a_token(app, username)}"}
    imported(app, an_order("DD0001"), an_order("DD0002", buyer="buyer2", shop="shop-b"))
    return out
