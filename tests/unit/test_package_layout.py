"""The whole package keeps the layout promises: no import cycle between any two modules
(type-checking imports included) and no module over 400 lines.

tests/cli/test_layout.py and tests/store/test_layout.py hold the finer rules of those
packages; this walks every module of tui_annotate, so a cycle between layers (the core
naming the repository for mypy while a store imports that core module back) is caught too.
"""

from __future__ import annotations

from pathlib import Path

import grimp

import tui_annotate

PACKAGE = Path(tui_annotate.__file__).parent
MAX_LINES = 400


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def package_graph() -> grimp.ImportGraph:
    return grimp.build_graph("tui_annotate", exclude_type_checking_imports=False)


def test_no_import_cycle_anywhere_in_the_package() -> None:
    assert cycles(package_graph()) == []


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = package_graph()
    graph.add_import(
        importer="tui_annotate.core.models",
        imported="tui_annotate.core.session",
        line_number=1,
        line_contents="from tui_annotate.core import session",
    )
    assert any("tui_annotate.core.models" in group for group in cycles(graph))


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
