"""Widgets of the annotation app, one per file."""
