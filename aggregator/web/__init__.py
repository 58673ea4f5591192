"""Serving the published feeds over HTTP (a WSGI app run by waitress)."""

from aggregator.web.app import create_app
from aggregator.web.static import DirectorySource, Document, DocumentSource

__all__ = ["DirectorySource", "Document", "DocumentSource", "create_app"]
