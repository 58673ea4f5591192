"""The ingest write path: dedupe decisions for incoming items and one write transaction that
applies them; uses dedupe and the store's schema.
"""
