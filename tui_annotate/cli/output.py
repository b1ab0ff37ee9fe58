"""The one way the CLI prints: text from data is shown, never obeyed, and never cut.

Annotator names, item ids, tags, comments, a judge's rationale, rubric text
and file names are data: they may hold ANSI or OSC sequences (a title change,
a clipboard write), C1 controls or Rich markup. Every command prints through
these helpers, so each such string passes the same visible-text filter the
app uses (`core.textsafe.visible`) and reaches Rich as a `Text`, never as a
markup string. The program's own styling is the only styling on the screen.

Rich is imported only when a command prints a table, so `--help` stays fast.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, TextIO, cast

import click

from tui_annotate.core.textsafe import visible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.style import StyleType
    from rich.table import Table
    from rich.text import Text

#: Wide enough for any name: piped output is read by programs and pagers, not wrapped.
UNLIMITED = 100_000


def say(message: str = "", *, err: bool = False) -> None:
    """Echo MESSAGE, which may quote data, with every control character made visible."""
    click.echo(visible(message), err=err)


#: JSON escapes C0 controls itself; C1 controls (U+009B is a one-byte CSI) and bidi
#: overrides it leaves raw. As \u escapes they are the same JSON, inert on a terminal.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def emit_json(data: Any) -> None:
    """DATA as indented JSON (--json): byte for byte what it was, but for those escapes."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    click.echo(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def literal(value: object, style: StyleType = "") -> Text:
    """VALUE as a Rich Text: markup prints as typed, control characters as stand-ins."""
    from rich.text import Text

    return Text(visible(str(value)), style=style)


def markup_safe(value: object) -> str:
    """VALUE for a place Rich reads as markup (a progress bar's description)."""
    from rich.markup import escape

    return escape(visible(str(value)))


def console(*, err: bool = False) -> Console:
    """A Rich console; when not writing to a terminal, lines are never wrapped or cut.

    At a terminal Rich fits tables to its width (long names fold onto more
    lines, never cut). Piped or redirected, there is no width to fit, so
    whole names and whole rows go to the file or the next program.
    """
    import sys

    from rich.console import Console

    stream = sys.stderr if err else sys.stdout
    is_tty = stream.isatty()
    return Console(
        stderr=err,
        highlight=False,
        width=None if is_tty else UNLIMITED,
        soft_wrap=not is_tty,
    )


def table(
    *headers: str, title: str | None = None, fixed: Collection[str] = (), **options: Any
) -> Table:
    """A table whose columns fold long values onto more lines instead of cutting them.

    Columns named in FIXED (counts, versions, keys) never wrap, so on a narrow
    terminal the room is taken from the columns of names and text, which fold.
    """
    from rich.table import Table

    grid = Table(title=literal(title) if title else None, **options)
    for header in headers:
        grid.add_column(literal(header), overflow="fold", no_wrap=header in fixed)
    return grid


def add_row(grid: Table, *cells: object) -> None:
    """One row; every cell is data, shown literally (a styled Text keeps its style)."""
    grid.add_row(*(_cell(c) for c in cells))


def _cell(value: object) -> Text:
    from rich.text import Text

    if isinstance(value, Text):
        # Styled by us, but its characters may still come from data.
        return value if visible(value.plain) == value.plain else literal(value.plain, value.style)
    return literal("" if value is None else value)


class TerminalText(io.TextIOBase):
    """A text stream for data going to a terminal: each write shown through `visible`.

    `export` without -o writes CSV or JSONL to stdout. Into a pipe or a file
    the bytes must be exact; on a terminal a person reads them, and an item's
    escape sequences would be obeyed, so there they are shown instead.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.stream.write(visible(text, tab="\t"))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def for_reading(stream: TextIO) -> TextIO:
    """STREAM itself, or a TerminalText around it when a person reads it on a terminal."""
    return cast(TextIO, TerminalText(stream)) if stream.isatty() else stream
