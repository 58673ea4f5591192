"""The alert and webhook keys of sources.toml: `[settings]` smtp_url, smtp_from, alert_emails,
alert_after_failures, alert_idle, and the `[[webhook]]` tables."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aggregator.config.reader import Table
from aggregator.config.types import WEBHOOK_EVENTS, WebhookConfig

SETTINGS_KEYS = ("smtp_url", "smtp_from", "alert_emails", "alert_after_failures", "alert_idle")
WEBHOOK_KEYS = ("url", "secret", "events")
MIN_SECRET = 16
_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")

MakeTable = Callable[[Mapping[str, object], tuple[str | int, ...], str, Any], Table]


def is_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


def notify_values(t: Table) -> dict[str, Any]:
    """The notification keys of `[settings]`, only those given (dataclass defaults apply)."""
    values: dict[str, Any] = {
        "smtp_url": smtp_url(t),
        "smtp_from": address(t, "smtp_from"),
        "alert_emails": addresses(t, "alert_emails") or None,
        "alert_after_failures": t.integer("alert_after_failures", 1),
        "alert_idle": t.duration("alert_idle", positive=True),
    }
    if values["alert_emails"] and not (t.has("smtp_url") and t.has("smtp_from")):
        t.error("alert_emails", "needs smtp_url and smtp_from in [settings]")
    return {key: value for key, value in values.items() if value is not None}


def smtp_url(t: Table) -> str | None:
    value = t.string("smtp_url")
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        t.error("smtp_url", f'not a valid URL: "{value}" ({exc})')
        return None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        t.error("smtp_url", f'must be smtp://host:port or smtps://host:port, not "{value}"')
        return None
    return value


def address(t: Table, key: str) -> str | None:
    value = t.string(key)
    if value is not None and not is_address(value):
        t.error(key, f'not an email address: "{value}"')
        return None
    return value


def addresses(t: Table, key: str) -> tuple[str, ...]:
    found = t.strings(key)
    for bad in [a for a in found if not is_address(a)]:
        t.error(key, f'not an email address: "{bad}"')
    return tuple(a for a in found if is_address(a))


def webhooks(top: Table, make_table: MakeTable) -> tuple[WebhookConfig, ...]:
    found = [webhook(make_table(raw, ("webhook", i), "[[webhook]]", WEBHOOK_KEYS))
             for i, raw in top.tables("webhook")]  # fmt: skip
    return tuple(hook for hook in found if hook is not None)


def webhook(t: Table) -> WebhookConfig | None:
    url = t.url("url", required=True)
    secret = t.string("secret", required=True)
    if secret is not None and len(secret) < MIN_SECRET:
        t.error("secret", f"must be at least {MIN_SECRET} characters")
        secret = None
    events = t.choices("events", WEBHOOK_EVENTS) if t.has("events") else WEBHOOK_EVENTS
    if t.has("events") and not events:
        t.error("events", f"name at least one of {', '.join(WEBHOOK_EVENTS)}")
    if url is None or secret is None or not events:
        return None
    return WebhookConfig(url, secret, events)
