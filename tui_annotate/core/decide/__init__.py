"""Deciding: from labels to a release decision (issues 13–15).

Everything here is headless and works on column arrays (`table.PromptTable`),
so a million items cost a few vector operations, not a million Python objects.
numpy is imported by the modules that compute, never by the annotation app;
scipy is not used at run time (only by the tests, as an independent check).
"""
