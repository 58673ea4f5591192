"""Polling: one source through fetch, parse and normalise, the worker pool that runs many, the
Poller that stores what they bring, and scheduling; uses fetch, parsers, normalise, dedupe and
store.
"""
