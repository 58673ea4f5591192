"""Published documents as HTTP representations: sources, ETags, gzip, conditional requests.

A `DocumentSource` hands out whole documents (bytes read once per request, so an atomic
`os.replace` by the publisher can never be seen half-way). `RepresentationCache` hashes and
compresses each version of a document once, keyed by the source's version string.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from aggregator.publish.common import content_type_for

log = logging.getLogger(__name__)
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
GZIP_MIN_BYTES = 512
CORS_NAMES = frozenset({"latest.json", "latest.html"})


def is_safe_name(name: str) -> bool:
    """A plain file name (no separators, no dot-files, no `..`) with a served suffix."""
    if not SAFE_NAME.match(name) or name.startswith("."):
        return False
    return content_type_for(name) is not None


@dataclass(frozen=True)
class Document:
    """One published document, as read at one instant."""

    body: bytes
    mtime: float  # seconds since the epoch: Last-Modified
    content_type: str
    version: str  # changes whenever the bytes may have changed (cache key)


class DocumentSource(Protocol):
    """Where published documents come from: a directory today, the database on web nodes later."""

    def get(self, name: str) -> Document | None:
        """The document called `name` (already checked by `is_safe_name`), or None."""
        ...

    def names(self) -> list[str]:
        """Every servable document name, sorted."""
        ...


@dataclass(frozen=True)
class DirectorySource:
    """Documents are the files directly inside `feeds_dir`."""

    feeds_dir: Path

    def get(self, name: str) -> Document | None:
        content_type = content_type_for(name)
        if content_type is None or not is_safe_name(name):
            return None
        try:
            with open(self.feeds_dir / name, "rb") as file:
                stat = os.fstat(file.fileno())
                body = file.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        version = f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
        return Document(body, stat.st_mtime, content_type, version)

    def names(self) -> list[str]:
        try:
            entries = [e.name for e in os.scandir(self.feeds_dir) if e.is_file()]
        except FileNotFoundError:
            return []
        return sorted(name for name in entries if is_safe_name(name))


@dataclass(frozen=True)
class Representation:
    """The bytes to send and their validators."""

    body: bytes
    etag: str  # quoted, strong
    gzipped: bool


@dataclass
class _Entry:
    etag: str
    gzip_body: bytes | None = None


@dataclass
class RepresentationCache:
    """ETags and gzip bodies per (name, version); small LRU, safe across threads."""

    max_entries: int = 128
    _entries: OrderedDict[tuple[str, str], _Entry] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def representation(self, name: str, doc: Document, want_gzip: bool) -> Representation:
        entry = self._entry(name, doc)
        if not want_gzip or len(doc.body) <= GZIP_MIN_BYTES:
            return Representation(doc.body, entry.etag, gzipped=False)
        if entry.gzip_body is None:
            entry.gzip_body = gzip.compress(doc.body, compresslevel=6, mtime=0)
        return Representation(entry.gzip_body, gzip_etag(entry.etag), gzipped=True)

    def _entry(self, name: str, doc: Document) -> _Entry:
        key = (name, doc.version)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        entry = _Entry(etag=strong_etag(doc.body))
        with self._lock:
            entry = self._entries.setdefault(key, entry)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def gzip_etag(etag: str) -> str:
    return etag[:-1] + '-gz"'


def http_date(timestamp: float) -> str:
    return formatdate(timestamp, usegmt=True)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when Accept-Encoding allows gzip (explicitly or via `*`) with q > 0."""
    if not accept_encoding:
        return False
    qualities = dict(_codings(accept_encoding.split(",")))
    for coding in ("gzip", "x-gzip"):
        if coding in qualities:
            return qualities[coding] > 0
    return qualities.get("*", 0.0) > 0


def _codings(parts: Iterable[str]) -> Iterable[tuple[str, float]]:
    for part in parts:
        coding, _, params = part.strip().partition(";")
        if not coding:
            continue
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        yield coding.strip().lower(), quality


def none_match(if_none_match: str, etag: str) -> bool:
    """If-None-Match matches (weak comparison, RFC 9110 §13.1.2): the client's copy is current."""
    if if_none_match.strip() == "*":
        return True
    ours = _opaque(etag)
    return any(_opaque(tag) == ours for tag in if_none_match.split(","))


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith(("W/", "w/")) else tag


def not_modified_since(if_modified_since: str, mtime: float) -> bool:
    """If-Modified-Since says the client's copy is no older than our document."""
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, OverflowError):
        log.warning("ignored an unreadable If-Modified-Since: %r", if_modified_since[:100])
        return False
    if since.tzinfo is None:
        return False
    return int(mtime) <= since.timestamp()
