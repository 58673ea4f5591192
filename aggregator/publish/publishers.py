"""Who published an item: the source of its representative sighting, as sources.toml names it.

Every output says it (Atom and RSS `<source>`, JSON Feed `authors`, the block's "via" line); the
item's other sightings stay listed in JSON Feed's `_aggregator.sightings`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aggregator.config.types import SourceConfig
from aggregator.models import StoredItem
from aggregator.publish.common import as_uri, clean


@dataclass(frozen=True)
class Publisher:
    name: str
    url: str | None = None  # what we poll: the source's feed or listing page


Publishers = Mapping[str, Publisher]


def publishers_of(sources: Iterable[SourceConfig]) -> dict[str, Publisher]:
    return {
        source.id: Publisher(clean(source.name).strip() or source.id, _http(source.url))
        for source in sources
    }


def publisher_of(item: StoredItem, publishers: Publishers | None) -> Publisher | None:
    """None when the caller gave no publishers; a source no longer configured keeps its id."""
    if publishers is None or not item.source_id:
        return None
    return publishers.get(item.source_id) or Publisher(item.source_id)


def _http(url: str) -> str | None:
    uri = as_uri(url)
    return uri if uri.lower().startswith(("https://", "http://")) else None
