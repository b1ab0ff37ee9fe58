"""The CLI's layout holds: a command is found from its file name and registered once, and no
command module imports the group (cycles and sizes: tests/unit/test_package_layout.py)."""

from __future__ import annotations

import click
import grimp
import pytest

from tui_annotate import cli
from tui_annotate.cli import group
from tui_annotate.cli.group import COMMANDS, all_commands, load, main

#: The commands that live beside another: `import` can't be a module name; `demo` opens the
#: annotate app; `route` hands on the judge's labels.
BESIDE = {"import": "import_items", "demo": "annotate", "route": "judge"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("tui_annotate", exclude_type_checking_imports=False)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_command_lives_in_the_module_named_after_it(name: str) -> None:
    command = load(name)
    assert command.callback is not None
    expected = BESIDE.get(name, name.replace("-", "_"))
    assert command.callback.__module__ == f"tui_annotate.cli.{expected}"


def test_every_command_is_registered_once_in_the_group_module() -> None:
    commands = all_commands()
    assert sorted(commands) == sorted(COMMANDS)
    assert all(command.name == name for name, command in commands.items())
    assert len({id(command) for command in commands.values()}) == len(COMMANDS)


def test_a_table_entry_that_is_not_its_command_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COMMANDS, "status", "keys:keys")
    with pytest.raises(TypeError, match="is not the command 'status'"):
        load("status")


def _cli_imports(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    modules = {
        m for m in graph.modules if m == "tui_annotate.cli" or m.startswith("tui_annotate.cli.")
    }
    return {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}


def test_command_modules_never_import_the_group(graph: grimp.ImportGraph) -> None:
    importers = {m for m, imported in _cli_imports(graph).items() if group.__name__ in imported}
    assert importers == {"tui_annotate.cli"}
    assert not {m for m, imported in _cli_imports(graph).items() if "tui_annotate.cli" in imported}


def test_the_group_is_the_entry_point() -> None:
    assert isinstance(cli.main, click.Group)
    assert cli.main is main
