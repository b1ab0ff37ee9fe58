"""Deciding: from labels to a release decision (issues 13–15).

Everything here is headless and works on column arrays (`table.PromptTable`),
so a million items cost a few vector operations, not a million Python objects.
numpy is imported by the modules that compute; scipy only inside the functions
that need it, so nothing here is loaded by the annotation app.
"""
