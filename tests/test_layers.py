"""Layers point one way: crawler/, nlp/ and index/ never import the app (toezicht)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOWER = ("crawler", "nlp", "index")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
    return out


@pytest.mark.parametrize("path", [p for d in LOWER for p in sorted((ROOT / d).rglob("*.py"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_lower_layers_do_not_import_the_app(path: Path) -> None:
    app = {m for m in _imports(path) if m == "toezicht" or m.startswith("toezicht.")}
    assert not app, f"{path.relative_to(ROOT)} imports {sorted(app)}"
