"""URL canonicalisation: one spelling per page, so reposts of the same link can be recognised.

`canonical_url` lower-cases scheme and host, upgrades http to https, drops `www.`, default
ports, credentials, fragments, `index.html`-style last segments and the trailing slash (except
for the root), normalises percent-escapes and dot segments, drops tracking query parameters and
sorts the rest. Parameters that identify content (WordPress `?p=123`, `page_id`, `id`) are kept.
`ref` is kept too: on some sites it is a document reference, not a referrer; add it to
`extra_params` (settings.tracking_params) for sources where it is noise.

The function is idempotent: canonical_url(canonical_url(u)) == canonical_url(u).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "replytocom",
    }
)
TRACKING_PREFIXES = ("utm_",)
INDEX_PAGES = frozenset(
    {"index.html", "index.htm", "index.php", "index.asp", "default.asp", "default.aspx"}
)
DEFAULT_PORTS = frozenset({"80", "443"})
UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
PATH_SAFE = "/:@!$&'()*+,;=-._~%"
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def canonical_url(url: str, extra_params: Sequence[str] = ()) -> str:
    """The canonical spelling of an absolute http(s) URL; other strings come back stripped."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        return text
    drop = {p.lower() for p in extra_params}
    host = _canonical_host(parts.netloc)
    if not host:
        return text
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query, drop) if parts.query else ""
    return f"https://{host}{path}?{query}" if query else f"https://{host}{path}"  # as urlunsplit


def _canonical_host(netloc: str) -> str:
    hostport = netloc.rpartition("@")[2].lower()
    host, port = hostport, ""
    if not hostport.endswith("]"):  # an IPv6 literal has colons of its own
        head, sep, tail = hostport.rpartition(":")
        if sep and (tail.isdigit() or not tail):
            host, port = head, tail
    host = host.rstrip(".")
    while host.startswith("www.") and len(host) > len("www."):
        host = host[len("www.") :]
    if port and port not in DEFAULT_PORTS:
        return f"{host}:{port}"
    return host


def _canonical_path(path: str) -> str:
    path = _normalise_escapes(quote(path, safe=PATH_SAFE, errors="replace"))
    segments = _remove_dot_segments([s for s in path.split("/") if s])
    while segments and segments[-1].lower() in INDEX_PAGES:
        segments.pop()
    return "/" + "/".join(segments)


def _remove_dot_segments(segments: list[str]) -> list[str]:
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    return out


def _normalise_escapes(text: str) -> str:
    """Escape lone `%`, decode escaped unreserved characters, upper-case the other escapes."""
    if "%" not in text:
        return text
    text = _LONE_PERCENT.sub("%25", text)

    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else match.group(0).upper()

    return _ESCAPE.sub(fix, text)


def _canonical_query(query: str, drop: set[str]) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = sorted((k, v) for k, v in pairs if not _is_tracking(k, drop))
    return urlencode(kept, quote_via=quote, safe="", errors="replace")


def _is_tracking(name: str, drop: set[str]) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered in drop or lowered.startswith(TRACKING_PREFIXES)
