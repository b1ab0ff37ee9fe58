"""Speed and memory figures for tui-annotate, measured through a real pty (`make bench`)."""
