"""tui-annotate: keyboard-first human feedback on LLM outputs, in the terminal."""

__version__ = "0.1.0"
