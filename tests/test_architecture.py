"""Import rules between layers, checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "kefu"

# layer -> prefixes it must never import
FORBIDDEN = {
    "domain": (
        "kefu.db",
        "kefu.services",
        "kefu.web",
        "kefu.adapters",
        "kefu.analysis",
        "sqlalchemy",
        "fastapi",
        "starlette",
        "jinja2",
        "typer",
        "chinese_calendar",
    ),
    "analysis": ("kefu.db", "kefu.services", "kefu.web", "sqlalchemy", "fastapi"),
    "db": ("kefu.services", "kefu.web", "fastapi", "starlette"),
    "services": ("kefu.web", "fastapi", "starlette", "sqlalchemy.sql", "kefu.cli"),
    "adapters": ("kefu.services", "kefu.web", "kefu.db"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


CASES = [(layer, p) for layer in FORBIDDEN for p in sorted((SRC / layer).rglob("*.py"))]


@pytest.mark.parametrize(("layer", "path"), CASES, ids=[f"{lyr}:{p.name}" for lyr, p in CASES])
def test_layer_imports(layer: str, path: Path) -> None:
    bad = [m for m in _imports(path) if m.startswith(FORBIDDEN[layer])]
    assert bad == [], f"{path.relative_to(SRC)} imports {bad}"


def test_domain_never_reads_the_clock() -> None:
    for path in (SRC / "domain").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert ".now(" not in text, path
        assert "time.time(" not in text, path


def test_every_module_starts_with_a_docstring() -> None:
    for path in SRC.rglob("*.py"):
        if "migrations/versions" in str(path):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.relative_to(SRC)} has no opening docstring"
