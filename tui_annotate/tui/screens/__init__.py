"""Screens of the annotation app."""
