"""Allow `python -m tui_annotate`."""

from tui_annotate.cli import main

main()
