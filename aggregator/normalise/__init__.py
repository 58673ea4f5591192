"""Normalising: a ParsedItem to an Item (URLs, dates, sanitised HTML, plain text), its
classification and URL canonicalisation; pure, uses config and models only.
"""
