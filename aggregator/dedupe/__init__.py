"""Deduplication: the lookup keys of an item, its features and MinHash bands, and the decision
which stored item it announces; pure, no HTTP, no database.
"""
