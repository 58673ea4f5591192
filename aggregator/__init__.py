"""safeguarding-feeds: polls safeguarding sources, deduplicates, republishes curated feeds."""

__version__ = "0.1.0"
USER_AGENT = f"safeguarding-feeds/{__version__} (+https://github.com/safeguarding-feeds)"
