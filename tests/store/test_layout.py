"""The store's layout holds: no store reaches back to the facade and no private name crosses a
file (import cycles and file sizes are checked for the whole package in
tests/unit/test_package_layout.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

from tui_annotate import store

STORE_DIR = Path(store.__file__).parent
FACADE = "tui_annotate.store.repository"


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    """Each store module and the store modules it imports, type-checking imports included."""
    graph = grimp.build_graph("tui_annotate", exclude_type_checking_imports=False)
    modules = {m for m in graph.modules if m.startswith("tui_annotate.store.")}
    return {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}


def test_the_graph_sees_the_stores(edges: dict[str, set[str]]) -> None:
    """Guard against a vacuous pass: the facade imports the stores it builds."""
    assert {"tui_annotate.store.queue", "tui_annotate.store.connection"} <= edges[FACADE]
    assert "tui_annotate.store.leases" in edges["tui_annotate.store.queue"]


def test_no_store_imports_the_facade(edges: dict[str, set[str]]) -> None:
    assert {m for m, imported in edges.items() if FACADE in imported} == set()


def _private_reaches(path: Path) -> list[str]:
    """Private names this file takes from elsewhere: imported from a store module, or reached
    on anything but `self` or `cls` (another store's `_helper`, a module's `_constant`)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "tui_annotate.store"
        ):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(ast.unparse(node))
    return found


def test_no_private_name_crosses_a_store_file() -> None:
    crossing = {
        str(p.relative_to(STORE_DIR)): names
        for p in STORE_DIR.rglob("*.py")
        if (names := _private_reaches(p))
    }
    assert crossing == {}


def test_the_private_name_check_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from tui_annotate.store.queue import _Claim\nself.leases._hold(1)\nself._fine()\n"
    )
    assert _private_reaches(sample) == ["tui_annotate.store.queue._Claim", "self.leases._hold"]
