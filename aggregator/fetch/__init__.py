"""Fetching: request building, response handling, the network guard, per-host politeness and
robots.txt; uses config and models, never the store.
"""
