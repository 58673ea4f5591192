"""The store: SQLAlchemy models, Alembic migrations and the Storage facade."""

from aggregator.store.engine import DEFAULT_URL
from aggregator.store.storage import Storage

__all__ = ["DEFAULT_URL", "Storage"]
