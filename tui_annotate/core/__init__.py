"""Headless services: no UI, no SQL, no network at import time."""
