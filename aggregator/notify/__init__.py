"""Alerts and webhooks: when a source's incident opens or closes (pure decisions), the messages
and signatures, and sending them by SMTP and signed HTTP POSTs from the store's outbox; uses
config, models, store and fetch's network guard."""
