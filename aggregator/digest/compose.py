"""A subscriber's digest (pure): the items of the chosen feeds first stored in the period,
grouped like the block (reviews, news, training with event dates), as plain text and HTML, with
the one-click unsubscribe headers of RFC 8058."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from aggregator.config.types import FeedConfig
from aggregator.models import StoredItem
from aggregator.publish.select import matches

GROUPS = (("reviews", "Reviews"), ("news", "News"), ("training", "Training & events"))


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str
    headers: dict[str, str]
    items: tuple[StoredItem, ...]


def chosen_items(
    items: Sequence[StoredItem], feeds: Sequence[FeedConfig], now: datetime
) -> list[StoredItem]:
    """The items any of `feeds` publishes, each once."""
    return [item for item in items if any(matches(item, feed, now) for feed in feeds)]


def grouped(items: Sequence[StoredItem]) -> list[tuple[str, list[StoredItem]]]:
    found = []
    for category, label in GROUPS:
        members = [item for item in items if item.category == category]
        if category == "training":
            members.sort(key=lambda i: (i.event_date is None, i.event_date or i.published.date()))
        else:
            members.sort(key=lambda i: (i.published, i.id), reverse=True)
        if members:
            found.append((label, members))
    return found


def compose(
    items: Sequence[StoredItem],
    *,
    frequency: str,
    period_end: datetime,
    unsubscribe_url: str,
    site_url: str,
) -> Digest | None:
    """The digest of `items` (already chosen); None when there is nothing to send."""
    if not items:
        return None
    groups = grouped(items)
    count = sum(len(members) for _, members in groups)
    subject = f"Safeguarding {frequency} digest: {count} new item{'s' if count != 1 else ''}"
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    ordered = tuple(item for _, members in groups for item in members)
    return Digest(
        subject,
        _text(groups, period_end, unsubscribe_url, site_url),
        _html(groups, period_end, unsubscribe_url, site_url),
        headers,
        ordered,
    )


def _when(item: StoredItem) -> str:
    if item.category == "training" and item.event_date is not None:
        return f"{item.event_date:%a %d %b %Y}"
    return f"{item.published:%d %b %Y}"


def _text(
    groups: list[tuple[str, list[StoredItem]]], end: datetime, unsubscribe: str, site: str
) -> str:
    lines = [f"New on {site} up to {end:%d %b %Y}:", ""]
    for label, members in groups:
        lines += [label, "-" * len(label)]
        for item in members:
            lines.append(f"* {item.title} ({_when(item)})")
            if item.url:
                lines.append(f"  {item.url}")
        lines.append("")
    lines += ["Unsubscribe (one click, no sign-in):", unsubscribe, ""]
    return "\n".join(lines)


def _html(
    groups: list[tuple[str, list[StoredItem]]], end: datetime, unsubscribe: str, site: str
) -> str:
    parts = [f"<p>New on {escape(site)} up to {end:%d %b %Y}:</p>"]
    for label, members in groups:
        parts.append(f"<h2>{escape(label)}</h2><ul>")
        for item in members:
            title = escape(item.title)
            link = f'<a href="{escape(item.url)}">{title}</a>' if item.url else title
            when = f"{_when(item)}"
            parts.append(f"<li>{link} <small>({escape(when)})</small></li>")
        parts.append("</ul>")
    parts.append(f'<p><a href="{escape(unsubscribe)}">Unsubscribe</a> (one click, no sign-in)</p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>\n"
