"""SQLite storage: the only layer that writes SQL."""
