"""HTML cleaning for republished content (nh3) and HTML-to-text for titles and summaries."""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details",
        "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
        "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start", "reversed"},
}
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math"}
)
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ASCII_CONTROL = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # _CONTROL in ASCII
_BLOCK_TAG = re.compile(  # the "<" of a block tag: a plain replacement is much faster than \1
    r"<(?=/?(?:p|div|br|hr|li|ul|ol|dd|dt|dl|h[1-6]|tr|td|th|table|blockquote|pre|section|article"
    r"|header|footer|figure|figcaption|time|address)\b)",
    re.IGNORECASE,
)
_NUMERIC_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});", re.IGNORECASE)


def strip_bidi_controls(text: str) -> str:
    """Remove bidirectional embedding, override and isolate controls and marks: in a title
    they make text read as something else ("invoice\u202efdp.exe")."""
    return _BIDI.sub("", text) if not text.isascii() else text


def strip_control_chars(text: str) -> str:
    """Remove characters XML cannot carry (and C1 controls, which are only ever mojibake)."""
    if text.isprintable():  # every character _CONTROL matches is unprintable
        return text
    if text.isascii():  # the same as the regex, much faster
        data = text.encode("ascii")
        kept = data.translate(None, _ASCII_CONTROL)
        return text if len(kept) == len(data) else kept.decode("ascii")
    return _CONTROL.sub("", text)


@functools.lru_cache(maxsize=4096)  # an item's link is resolved for its key, story and URL
def absolute_url(url: str, base_url: str | None) -> str | None:
    """`url` resolved against `base_url`, or None unless it is http(s) or mailto."""
    url = strip_control_chars(url).strip()
    if not url:
        return None
    resolved = urljoin(base_url, url) if base_url else url
    scheme = urlsplit(resolved).scheme.lower()
    if scheme not in URL_SCHEMES:
        return None
    return resolved


def sanitize_html(markup: str, base_url: str | None) -> str:
    """Safe HTML: no scripts, handlers, styles, frames or javascript: URLs; links absolute."""
    return _html_cleaner(base_url)(strip_control_chars(markup)).strip()


@functools.lru_cache(maxsize=256)  # one per feed's base URL
def _html_cleaner(base_url: str | None) -> Callable[[str], str]:
    def resolve(tag: str, attribute: str, value: str) -> str | None:
        if attribute in URL_ATTRIBUTES:
            return absolute_url(value, base_url)
        return value

    return _cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=resolve,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _cleaner(**options: Any) -> Callable[[str], str]:
    """A reusable nh3.Cleaner: nh3.clean builds the sanitizer again on every call (most of its
    cost)."""
    return nh3.Cleaner(**options).clean


_text_cleaner = _cleaner(tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    spaced = _BLOCK_TAG.sub(" <", strip_control_chars(markup))
    text = html.unescape(_text_cleaner(spaced))
    if _NUMERIC_ENTITY.search(text):  # double-encoded, as WordPress titles often are
        text = html.unescape(text)
    return " ".join(strip_control_chars(text).split())  # \s+ to one space, stripped
