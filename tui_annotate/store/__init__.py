"""SQLite storage: the only layer that writes SQL. Start at repository.py."""
