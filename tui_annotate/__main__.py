"""Allow `python -m tui_annotate`."""

from tui_annotate.cli import main

# Guarded: import's parsing process (multiprocessing, spawn) imports this module again.
if __name__ == "__main__":
    main()
