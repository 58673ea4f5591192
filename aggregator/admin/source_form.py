"""The source form: what a person typed <-> the keys of a `[[source]]` table. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aggregator.admin.health import duration_text
from aggregator.config.types import SourceConfig

TEXT_FIELDS = ("id", "name", "type", "url", "category", "interval", "max_pages")
SELECTOR_FIELDS = ("item", "title", "link", "date", "summary", "event_date", "next")


@dataclass
class SourceForm:
    values: dict[str, str] = field(default_factory=dict)
    enabled: bool = True

    @classmethod
    def from_post(cls, form: Mapping[str, str]) -> SourceForm:
        keys = (*TEXT_FIELDS, *(f"select_{k}" for k in SELECTOR_FIELDS))
        values = {key: form.get(key, "").strip() for key in keys}
        return cls(values, enabled=form.get("enabled") == "on")

    @classmethod
    def from_source(cls, source: SourceConfig) -> SourceForm:
        values = {
            "id": source.id,
            "name": source.name,
            "type": source.type,
            "url": source.url,
            "category": source.category or "",
            "interval": duration_text(source.interval) if source.interval else "",
            "max_pages": str(source.max_pages) if source.max_pages != 1 else "",
        }
        for key in SELECTOR_FIELDS:
            selected = getattr(source.select, key) if source.select else None
            values[f"select_{key}"] = selected or ""
        return cls(values, enabled=source.enabled)

    def fields(self) -> dict[str, object | None]:
        """Keys for append_source/update_source; None removes a key (back to its default)."""
        get = self.values.get
        result: dict[str, object | None] = {
            "id": get("id", ""),
            "name": get("name", ""),
            "type": get("type", ""),
            "url": get("url", ""),
            "category": get("category") or None,
            "interval": _interval(get("interval", "")),
            "enabled": None if self.enabled else False,
            "select": self._selectors(),
            "max_pages": self._max_pages(),
        }
        return result

    def new_source_fields(self) -> dict[str, object]:
        return {key: value for key, value in self.fields().items() if value is not None}

    def _selectors(self) -> dict[str, str] | None:
        if self.values.get("type") != "html":
            return None
        chosen = {key: self.values.get(f"select_{key}", "") for key in SELECTOR_FIELDS}
        chosen = {key: value for key, value in chosen.items() if value}
        return chosen or {"item": ""}  # an empty item selector is reported by validation

    def _max_pages(self) -> object | None:
        text = self.values.get("max_pages", "")
        if self.values.get("type") != "html" or not text:
            return None
        return int(text) if text.isdigit() else text  # not a number: validation says so


def _interval(text: str) -> object | None:
    if not text:
        return None
    return int(text) if text.isdigit() else text
