"""Structured logs, one line per event: `key=value` or JSON, fields passed with `extra=`.

log.info("poll ok", extra={"source": "lscp", "elapsed": 0.42, "new": 3})
kv:   ts=2026-01-05T10:00:00.123Z level=info logger=aggregator.poll.poller msg="poll ok" ...
json: {"ts": "...", "level": "info", "logger": "aggregator.poll.poller", "msg": "poll ok", ...}
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("kv", "json")
# Attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_BARE = re.compile(r"^[A-Za-z0-9_.:/@+-]+$")


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """What one log line says, in a stable order: time, level, logger, message, extras."""
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    fields["ts"] = fields["ts"].replace("+00:00", "Z")
    for key, value in vars(record).items():
        if key not in _STANDARD and not key.startswith("_"):
            fields[key] = round(value, 4) if isinstance(value, float) else value
    if record.exc_info:
        fields["error"] = logging.Formatter().formatException(record.exc_info)
    return fields


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_kv_value(value)}" for key, value in record_fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record_fields(record), default=str, ensure_ascii=False)


def _kv_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and _BARE.match(text):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, with newlines escaped: one line


def formatter_for(name: str) -> logging.Formatter:
    if name not in FORMATS:
        raise ValueError(f"unknown log format {name!r}: expected one of {', '.join(FORMATS)}")
    return JsonFormatter() if name == "json" else KeyValueFormatter()


def configure(level: int, log_format: str = "kv", stream: TextIO | None = None) -> None:
    """Route every log record to `stream` (stderr) in the chosen format.

    Replaces only a handler an earlier call installed, so handlers others added (a test
    runner's capture, say) keep working.
    """
    handler = logging.StreamHandler(stream or _CurrentStderr())
    handler.setFormatter(formatter_for(log_format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(old)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(level)


_OURS = "_aggregator_handler"


class _CurrentStderr:
    """Whatever sys.stderr is at the time of writing (it may be swapped, e.g. by pytest)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()
