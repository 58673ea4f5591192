"""Deduplication: an item's lookup keys and signature, the pairwise evidence that two sightings
are one story, the order-free grouping of contradictions, and the decision which stored item an
incoming one announces; pure, no HTTP, no database.
"""
