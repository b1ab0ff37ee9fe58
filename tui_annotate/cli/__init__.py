"""The command line: parse, call a core service, print. The TUI is imported only by commands that open it.

`main` (the entry point, `tui_annotate.cli:main`) is the click group in
`cli.group`, which registers the commands; each command lives in the module
named after it (`import` in `import_items.py`, `import-labels` in
`import_labels.py`, `demo` beside `annotate`, `route` beside `judge`).
"""

from tui_annotate.cli.group import main

__all__ = ["main"]
