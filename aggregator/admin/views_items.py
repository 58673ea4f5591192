"""Items: search and filter; hide, pin, recategorise, merge, split, delete (then republish)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qsl

from aggregator.admin.http import Response, text
from aggregator.admin.routing import Page, Route
from aggregator.errors import NotFound, StorageError
from aggregator.models import CATEGORIES, REVIEW_TYPES
from aggregator.store import Storage
from aggregator.themes import THEMES

PAGE_SIZE = 100
FILTERS = ("q", "feed", "category", "review_type", "theme", "source", "hidden")


def list_items(page: Page) -> Response:
    query = page.request.query
    config = page.console.config()
    feed = next((f for f in config.feeds if f.id == query.get("feed")), None)
    category, review_type, source, theme = (
        query.get(k, "") for k in ("category", "review_type", "source", "theme")
    )
    items = page.console.storage.items(
        categories=[category] if category else (feed.categories if feed else ()),
        review_types=[review_type] if review_type else (feed.review_types if feed else ()),
        sources=[source] if source else (feed.sources if feed else ()),
        search=query.get("q") or None,
        include_hidden=query.get("hidden") == "1",
        limit=PAGE_SIZE,
        themes=[theme] if theme else (feed.themes if feed else ()),
    )
    return page.render(
        "items.html",
        items=items,
        filters={key: query.get(key, "") for key in FILTERS},
        feeds=config.feeds,
        sources=config.sources,
        categories=CATEGORIES,
        review_types=REVIEW_TYPES,
        themes=THEMES,
        page_size=PAGE_SIZE,
        back=page.request.root + page.request.path + _query_suffix(page),
    )


def show_item(page: Page) -> Response:
    item_id = _item_id(page)
    if item_id is None:
        return text(404, "no such item\n")
    storage = page.console.storage
    try:
        item, trail = storage.item(item_id), storage.audit(item_id)
    except NotFound:
        return text(404, "no such item\n")
    return page.render(
        "item.html",
        item=item,
        trail=trail,
        categories=CATEGORIES,
        review_types=REVIEW_TYPES,
        themes=THEMES,
        back=page.request.root + page.request.path,
    )


ACTIONS: dict[str, Callable[[Storage, int, str], object]] = {
    "hide": lambda s, i, who: s.set_item(i, hidden=True, actor=who),
    "unhide": lambda s, i, who: s.set_item(i, hidden=False, actor=who),
    "pin": lambda s, i, who: s.set_item(i, pinned=True, actor=who),
    "unpin": lambda s, i, who: s.set_item(i, pinned=False, actor=who),
    "delete": lambda s, i, who: s.delete_item(i, actor=who),
    "split": lambda s, i, who: s.split_item(i, actor=who),
}
DONE = {
    "hide": "hidden",
    "unhide": "shown again",
    "pin": "pinned",
    "unpin": "unpinned",
    "delete": "deleted",
    "split": "split",
}


def item_action(page: Page) -> Response:
    action, item_id = page.params["action"], _item_id(page)
    if action not in ACTIONS or item_id is None:
        return text(404, "no such action or item\n")
    return _change(
        page,
        lambda s: ACTIONS[action](s, item_id, page.actor),
        f"Item {item_id} {DONE[action]}.",
        to_list=action == "delete",
    )


def set_kind(page: Page) -> Response:
    item_id = _item_id(page)
    if item_id is None:
        return text(404, "no such item\n")
    form = page.request.form
    category = form.get("category", "")
    review_type = form.get("review_type", "")
    joint = [name for name in REVIEW_TYPES if form.get(f"also-{name}") == "1"]
    return _change(
        page,
        lambda s: s.set_item(
            item_id,
            category=category,
            review_type=review_type,
            joint_types=joint if review_type else (),
            actor=page.actor,
        ),
        f"Item {item_id} recategorised.",
    )


def set_themes(page: Page) -> Response:
    """The themes ticked (a curator's choice, kept on later polls), or "auto" to hand back."""
    item_id = _item_id(page)
    if item_id is None:
        return text(404, "no such item\n")
    form = page.request.form
    chosen = [slug for slug in THEMES if form.get(f"theme-{slug}") == "1"]
    themes: list[str] | Literal["auto"] = "auto" if form.get("auto") == "1" else chosen
    return _change(
        page,
        lambda s: s.set_item(item_id, themes=themes, actor=page.actor),
        f"Item {item_id}: themes {'from the heuristics and rules' if themes == 'auto' else 'set'}.",
    )


def merge(page: Page) -> Response:
    form = page.request.form
    keep, other = form.get("keep", "").strip(), form.get("other", "").strip()
    if not (keep.isdigit() and other.isdigit()):
        return page.done("/items", "Give the numbers of both items to merge.")
    return _change(
        page,
        lambda s: s.merge_items(int(keep), int(other), actor=page.actor),
        f"Item {other} merged into item {keep}.",
        to_list=True,
    )


def _change(
    page: Page, change: Callable[[Storage], object], message: str, *, to_list: bool = False
) -> Response:
    try:
        change(page.console.storage)
    except StorageError as exc:  # NotFound included
        return _back(page, f"Not changed: {exc}")
    page.console.republish()
    return _back(page, message, to_list=to_list)


def _back(page: Page, message: str, *, to_list: bool = False) -> Response:
    """Back to the page the form was on (only ever inside the console)."""
    root = page.request.root
    path, _, query = page.request.form.get("back", "").partition("?")
    inside = path == root + "/items" or path.startswith(root + "/items/")
    if to_list or not inside or "//" in path:
        path = root + "/items"
    kept = {key: value for key, value in parse_qsl(query) if key in FILTERS}
    return page.done(path.removeprefix(root), message, **kept)


def _item_id(page: Page) -> int | None:
    raw = page.params.get("item_id", "")
    return int(raw) if raw.isdigit() else None


def _query_suffix(page: Page) -> str:
    raw = str(page.request.environ.get("QUERY_STRING", ""))
    return f"?{raw}" if raw else ""


ROUTES = [
    Route("GET", "/items", list_items),
    Route("POST", "/items/merge", merge),
    Route("GET", "/items/{item_id}", show_item),
    Route("POST", "/items/{item_id}/set", set_kind),
    Route("POST", "/items/{item_id}/themes", set_themes),
    Route("POST", "/items/{item_id}/{action}", item_action),
]
