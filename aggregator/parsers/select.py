"""CSS selectors with an optional `@attr`, and what each one found (for html parsing and preview).

What an admin means is what is taken: a selector ending in `@attr` reads that attribute; a `link`
selector without one takes the `href` of the element it matches (or of the first link inside
it), never its text; a date selector takes a `<time datetime>`'s attribute when that parses,
else the element's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

from aggregator.errors import ParseError

_ATTRIBUTE_SUFFIX = re.compile(r"^(?P<css>.*?)@(?P<attr>[A-Za-z_:][\w:.-]*)$", re.DOTALL)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@dataclass(frozen=True)
class Selector:
    css: str  # "" means the context element itself
    attribute: str | None


@dataclass(frozen=True)
class Found:
    """What one selector took: its value, from which element, and from where in it."""

    value: str
    element: str  # the matched element, e.g. '<a class="more">'
    taken: str  # "text", or the attribute read ("href", "datetime", ...)


def split(selector: str) -> Selector:
    match = _ATTRIBUTE_SUFFIX.match(selector.strip())
    if match is None:
        return Selector(selector.strip(), None)
    return Selector(match["css"].strip(), match["attr"])


def select_all(element: Any, css: str, selector: str) -> list[Any]:
    try:
        compiled = _compile(css)
    except SelectorError as exc:
        raise ParseError(f"invalid CSS selector {selector!r}: {exc}") from exc
    return list(compiled(element))


@lru_cache(maxsize=256)
def _compile(css: str) -> Any:
    return CSSSelector(css)


def matches(element: Any, selector: str) -> Iterator[Any]:
    """Descendant-or-self matches: an empty css part is the element itself."""
    parsed = split(selector)
    if not parsed.css:
        yield element
        return
    yield from select_all(element, parsed.css, selector)


def squash(text: str) -> str:
    return " ".join(text.split())


def describe(element: Any) -> str:
    """A short tag for messages: `<a class="more">`, `<time>`."""
    classes = squash(element.get("class") or "")
    shown = f' class="{classes}"' if classes else ""
    return f"<{element.tag}{shown}>"


def value(element: Any, selector: str) -> Found | None:
    """The text (or the `@attr`) of the first match that has any."""
    attribute = split(selector).attribute
    for match in matches(element, selector):
        raw = match.get(attribute, "") if attribute else match.text_content()
        if squash(raw):
            return Found(squash(raw), describe(match), attribute or "text")
    return None


def markup(element: Any, selector: str) -> str | None:
    """The HTML of the first match; an `@attr` selector's value, escaped."""
    if split(selector).attribute:
        found = value(element, selector)
        return escape(found.value) if found else None
    match = next(matches(element, selector), None)
    if match is None:
        return None
    html: str = etree.tostring(match, encoding="unicode", method="html", with_tail=False)
    return html.strip() or None


def find_link(element: Any, selector: str) -> Found | None:
    """An `@attr` as written; else the matched element's href, a link inside it, or its text."""
    if split(selector).attribute:
        return value(element, selector)
    for match in matches(element, selector):
        carrier = match if match.get("href") else next(match.iterfind(".//a[@href]"), None)
        if carrier is not None and carrier.get("href", "").strip():
            return Found(carrier.get("href").strip(), describe(carrier), "href")
        text = squash(match.text_content())
        if text:
            return Found(text, describe(match), "text")
    return None


def dated(element: Any, selector: str, parses: Callable[[str], bool]) -> Found | None:
    """An `@attr` as written; else a `datetime` attribute that parses, else the text."""
    if split(selector).attribute:
        return value(element, selector)
    for match in matches(element, selector):
        stamp = squash(match.get("datetime") or "")
        if stamp and parses(stamp):
            return Found(stamp, describe(match), "datetime")
        text = squash(match.text_content())
        if text:
            return Found(text, describe(match), "text")
    return None


def looks_like_link(raw: str) -> bool:
    """Could this be a URL or a path? Not prose such as an anchor's text."""
    if not raw or any(c.isspace() for c in raw):
        return False
    return bool(_SCHEME.match(raw)) or raw.startswith(("/", "?", "#")) or "/" in raw or "." in raw
