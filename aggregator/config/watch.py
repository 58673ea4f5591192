"""Re-read sources.toml when it changes, keeping the last good configuration when an edit is bad."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable

from aggregator.config.load import parse_config, read_config_text
from aggregator.config.types import Config
from aggregator.errors import ConfigErrors

log = logging.getLogger(__name__)


def log_rejected(errors: ConfigErrors) -> None:
    """The default report of a bad edit: each error logged, the last good config kept."""
    for error in errors.errors:
        log.error("config rejected, keeping the last good one: %s", error)


class ConfigWatcher:
    """Holds the current Config; `check_now()` (called periodically by the service) reloads it.

    No thread of its own: the caller decides when to look. A bad version is reported to
    `on_error` once, however many times it is looked at, and `current` stays the last good one.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        on_change: Callable[[Config], None],
        on_error: Callable[[ConfigErrors], None] = log_rejected,
    ) -> None:
        self.path = os.fspath(path)
        self.on_change = on_change
        self.on_error = on_error
        self._lock = threading.RLock()
        text = read_config_text(self.path)
        self._digest = _digest(text)
        self._current = parse_config(text, self.path)

    @property
    def current(self) -> Config:
        with self._lock:
            return self._current

    def check_now(self) -> bool:
        """Reload if the file's content changed; True when a new configuration was taken into use.

        The file is small, so it is read and hashed every time: mtime and size alone can miss an
        edit made within one timestamp tick that keeps the size.
        """
        with self._lock:
            try:
                text = read_config_text(self.path)
            except ConfigErrors as exc:
                return self._rejected(_UNREADABLE, exc)
            digest = _digest(text)
            if digest == self._digest:
                return False
            try:
                config = parse_config(text, self.path)
            except ConfigErrors as exc:
                return self._rejected(digest, exc)
            self._digest = digest
            self._current = config
            self.on_change(config)
            return True

    def _rejected(self, digest: str, errors: ConfigErrors) -> bool:
        if digest != self._digest:
            self._digest = digest
            self.on_error(errors)
        return False


_UNREADABLE = "unreadable"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
