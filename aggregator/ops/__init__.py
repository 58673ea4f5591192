"""Operational helpers: structured logs, Prometheus metrics and progress output; uses models."""
