"""Edit sources.toml in place (CLI `sources add`, admin console), keeping comments and layout.

Every edit is validated as the whole new file before anything is written, and written
atomically (temporary file + os.replace), so a refused edit leaves the file byte-for-byte as it
was and a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table as TomlTable

from aggregator.config.lines import index_lines
from aggregator.config.load import parse_config, read_config_text
from aggregator.errors import ConfigError, ConfigErrors

_write_lock = threading.Lock()  # one read-modify-write at a time within this process


def append_source(path: str | os.PathLike[str], fields: Mapping[str, object]) -> None:
    """Add a `[[source]]` after the last one (or at the end), leaving every other byte as is."""
    name = os.fspath(path)
    with _write_lock:
        _validate_and_write(name, source_appended(read_config_text(name), fields))


def update_source(
    path: str | os.PathLike[str], source_id: str, fields: Mapping[str, object | None]
) -> None:
    """Set keys of the source `source_id` (a None value removes the key), keeping the rest."""
    name = os.fspath(path)
    with _write_lock:
        _validate_and_write(name, source_updated(read_config_text(name), name, source_id, fields))


def source_appended(text: str, fields: Mapping[str, object]) -> str:
    """The text of a sources file with a `[[source]]` added (not validated: see parse_config)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    block = tomlkit.dumps({"source": [_plain(fields)]}).replace("\n", newline)
    return _insert_source_block(text, block, newline)


def source_updated(
    text: str, path: str, source_id: str, fields: Mapping[str, object | None]
) -> str:
    """The text with keys of source `source_id` set (not validated); ConfigErrors if no such id."""
    document = tomlkit.parse(text)
    table = _find_source(document, source_id)
    if table is None:
        raise ConfigErrors([ConfigError(path, 0, f'no source has the id "{source_id}"')])
    for key, value in fields.items():
        _assign(table, key, value)
    return tomlkit.dumps(document)


def _insert_source_block(text: str, block: str, newline: str) -> str:
    """`text` with `block` placed after the last [[source]] and its sub-tables."""
    lines = text.splitlines(keepends=True)
    at = _end_of_last_source(text, lines)
    before = "".join(lines[:at])
    if before and not before.endswith("\n"):
        before += newline
    separator = newline if before.strip() else ""
    after = "".join(lines[at:])
    return before + separator + block + (newline if after.strip() else "") + after


def _end_of_last_source(text: str, lines: list[str]) -> int:
    """Index of the line the new source goes before: the line after the last source's body.

    Comments and blank lines just above the next header belong to what follows, not to the
    source (like "# --- output feeds ---"), so the new block goes above them.
    """
    headers = index_lines(text).headers
    sources = [path[1] for _, path in headers if path[:1] == ("source",) and len(path) > 1]
    if not sources:
        return len(lines)
    last = ("source", max(sources, key=lambda i: int(i)))
    last_header = max(line for line, path in headers if path[:2] == last)
    following = [line for line, _ in headers if line > last_header]
    at = (following[0] - 1) if following else len(lines)
    while at > 0 and _is_blank_or_comment(lines[at - 1]):
        at -= 1
    return at


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _find_source(document: tomlkit.TOMLDocument, source_id: str) -> TomlTable | None:
    sources = document.get("source")
    if not isinstance(sources, list):
        return None
    return next((s for s in sources if isinstance(s, TomlTable) and s.get("id") == source_id), None)


def _assign(table: TomlTable, key: str, value: object | None) -> None:
    existing = table.get(key)
    if value is None:
        if key in table:
            del table[key]
    elif isinstance(value, Mapping) and isinstance(existing, TomlTable):
        # Update a sub-table key by key: replacing it would drop the comments in its body.
        for old in [k for k in existing if k not in value]:
            del existing[old]
        for sub_key, sub_value in value.items():
            _assign(existing, sub_key, sub_value)
    else:
        table[key] = _plain(value)


def _plain(value: object) -> Any:
    """Tuples and other sequences/mappings as the lists and dicts tomlkit knows how to write."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _validate_and_write(path: str, text: str) -> None:
    parse_config(text, path)  # raises ConfigErrors: the file is not touched
    _write_atomically(Path(path), text)


def _write_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
