"""The project's exception hierarchy: every error we raise derives from AggregatorError."""

from __future__ import annotations


class AggregatorError(Exception):
    """Root of every error raised by the aggregator."""


class ConfigError(AggregatorError):
    """A problem in sources.toml, located by file and line."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class ConfigErrors(AggregatorError):
    """Several ConfigError at once (validation reports every problem, not only the first)."""

    def __init__(self, errors: list[ConfigError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


class FetchError(AggregatorError):
    """A source could not be fetched (network, HTTP status, size cap, refused address)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class SourceGone(FetchError):
    """HTTP 410: the source has been removed for good."""


class ParseError(AggregatorError):
    """A fetched document could not be turned into items."""


class StorageError(AggregatorError):
    """A database operation failed; wraps the driver's exception."""


class NotFound(StorageError):
    """The item or source asked for does not exist."""
