"""The admin console: a small server-rendered web app mounted at /admin by the service."""

from aggregator.admin.app import ROUTES, AdminApp
from aggregator.admin.console import Console, preview_source

__all__ = ["ROUTES", "AdminApp", "Console", "preview_source"]
