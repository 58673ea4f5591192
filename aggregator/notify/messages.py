"""What an alert or a webhook says: JSON event bodies and alert emails (pure)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.config.types import SourceConfig
from aggregator.notify.incidents import Transition

SOURCE_FAILED, SOURCE_RECOVERED = "source_failed", "source_recovered"
PUBLISH, ITEM_NEW = "publish", "item_new"
SUBJECT_PREFIX = "[safeguarding-feeds]"


@dataclass(frozen=True)
class NewItem:
    public_id: str
    title: str
    url: str | None
    category: str
    source_id: str
    published: datetime


def event_name(transition: Transition) -> str:
    return SOURCE_RECOVERED if transition.recovered else SOURCE_FAILED


def incident_event(
    transition: Transition, source: SourceConfig | None, event_id: str, at: datetime
) -> dict[str, object]:
    problem = transition.old if transition.recovered else transition.new
    assert problem is not None
    return {
        "id": event_id,
        "event": event_name(transition),
        "at": at.isoformat(),
        "source": _source(transition.source_id, source),
        "problem": problem.kind,
        "detail": problem.detail,
    }


def publish_event(files: Sequence[str], event_id: str, at: datetime) -> dict[str, object]:
    return {"id": event_id, "event": PUBLISH, "at": at.isoformat(), "files": sorted(files)}


def item_new_event(items: Sequence[NewItem], event_id: str, at: datetime) -> dict[str, object]:
    shown = [
        {
            "id": item.public_id,
            "title": item.title,
            "url": item.url,
            "category": item.category,
            "source": item.source_id,
            "published": item.published.isoformat(),
        }
        for item in items
    ]
    return {"id": event_id, "event": ITEM_NEW, "at": at.isoformat(), "items": shown}


def body(event: dict[str, object]) -> str:
    """The exact bytes (as text) that are signed and sent."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"))


def alert_email(transition: Transition, source: SourceConfig | None, site_url: str) -> str:
    """The alert as JSON {"subject", "text"}; sender and recipient are added when sending."""
    name = source.name if source else transition.source_id
    console = f"{site_url.rstrip('/')}/admin/sources"
    if transition.recovered:
        assert transition.old is not None
        subject = f"{SUBJECT_PREFIX} {name} has recovered"
        text = f"The source {name} ({transition.source_id}) is fine again.\n"
        text += f"It was {transition.old.kind}: {transition.old.detail}\n"
    else:
        assert transition.new is not None
        subject = f"{SUBJECT_PREFIX} {name} is {transition.new.kind}"
        text = f"The source {name} ({transition.source_id}) needs attention.\n"
        text += f"{transition.new.detail}\n"
    if source is not None:
        text += f"\nURL: {source.url}\n"
    text += f"Console: {console}\n\nYou get one message when this starts and one when it ends.\n"
    return json.dumps({"subject": subject, "text": text})


def _source(source_id: str, source: SourceConfig | None) -> dict[str, object]:
    if source is None:
        return {"id": source_id}
    return {"id": source_id, "name": source.name, "url": source.url}
