"""Pairwise A/B between prompt versions (issue 14): pairing, blind sides, votes and their statistics.

Headless like the rest of the core: the store hands in rows, these modules
hand back frozen data (core/results/pairwise.py). numpy is
imported by the modules that compute, never by the app's start-up path.
"""
