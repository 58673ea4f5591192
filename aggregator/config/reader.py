"""Typed reading of one parsed TOML table, reporting every problem with the line it is on."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from aggregator.config.lines import LineIndex, Where
from aggregator.errors import ConfigError

T = TypeVar("T", bound=str)

_DURATION = re.compile(
    r"^(?:(?P<d>\d+(?:\.\d+)?)d)?(?:(?P<h>\d+(?:\.\d+)?)h)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$"
)
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
SLUG = re.compile(r"^[a-z0-9][a-z0-9-_]*$")


def parse_duration(text: str | int | float) -> float:
    """Seconds in "30s", "15m", "1h", "2d", "1h30m", "90" or a bare number of seconds."""
    if isinstance(text, bool):
        raise ValueError(f'not a duration: {text!r} (expected e.g. "30s", "15m", "1h")')
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"a duration cannot be negative: {text!r}")
        return float(text)
    compact = text.strip().lower().replace(" ", "")
    if compact.replace(".", "", 1).isdigit():
        return float(compact)
    match = _DURATION.match(compact)
    if not compact or match is None:
        raise ValueError(
            f'not a duration: "{text}" (expected e.g. "30s", "15m", "1h", "2d", "1h30m")'
        )
    return sum(float(v) * _UNIT_SECONDS[unit] for unit, v in match.groupdict().items() if v)


_SPACE = re.compile(r"\s")


def url_problem(value: str) -> str | None:
    """Why `value` is not an absolute http(s) URL with a host, or None when it is one."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as exc:
        return f'not a valid URL: "{value}" ({exc})'
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f'not an absolute http(s) URL: "{value}"'
    if _SPACE.search(value):
        return f'a URL cannot contain spaces: "{value}"'
    return None


def regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f'not a valid regular expression: "{pattern}" ({exc})'
    return None


@dataclass
class Problems:
    """Every problem found in one file, each located by line."""

    path: str
    lines: LineIndex
    errors: list[ConfigError] = field(default_factory=list)

    def add(self, where: Where, message: str) -> None:
        self.errors.append(ConfigError(self.path, self.lines.line_of(where), message))


class Table:
    """One TOML table: getters return the value, or None after reporting why it is unusable."""

    def __init__(
        self,
        data: Mapping[str, object],
        where: Where,
        problems: Problems,
        label: str,
        allowed: Collection[str] | Callable[[str], bool],
    ) -> None:
        self.data = data
        self.where = where
        self.problems = problems
        self.label = label
        is_allowed = allowed if callable(allowed) else allowed.__contains__
        for key in data:
            if not is_allowed(key):
                self.problems.add((*where, key), f'{label}: unknown key "{key}"')

    def error(self, key: str, message: str) -> None:
        self.problems.add((*self.where, key), f"{self.label}: {key}: {message}")

    def missing(self, key: str) -> None:
        self.problems.add(self.where, f'{self.label}: "{key}" is required')

    def has(self, key: str) -> bool:
        return key in self.data

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return None
        if not isinstance(value, str):
            self.error(key, f"must be a string, not {_shown(value)}")
            return None
        if required and not value.strip():
            self.error(key, "must not be empty")
            return None
        return value

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.error(key, f"must be true or false, not {_shown(value)}")
        return None

    def integer(
        self, key: str, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"must be an integer, not {_shown(value)}")
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.error(key, f"must be {_range(minimum, maximum)}, not {value}")
            return None
        return value

    def duration(self, key: str, minimum: float = 0.0, *, positive: bool = False) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.error(key, f'must be a duration such as "15m" or "1h", not {_shown(value)}')
            return None
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            self.error(key, str(exc))
            return None
        if seconds < minimum or (positive and seconds <= 0):
            least = f"at least {minimum:g}s" if minimum else "more than 0s"
            self.error(key, f"must be {least}, not {_shown(value)}")
            return None
        return seconds

    def url(self, key: str, *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        problem = url_problem(value) if value is not None else None
        if problem:
            self.error(key, problem)
            return None
        return value

    def slug(self, key: str, *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        if value is not None and not SLUG.match(value):
            self.error(key, f'"{value}" must be lower-case letters, digits, "-" or "_"')
            return None
        return value

    def choice(self, key: str, choices: Sequence[T]) -> T | None:
        value = self.string(key)
        if value is None:
            return None
        found = next((c for c in choices if c == value), None)
        if found is None:
            self.error(key, f'"{value}" is not one of {", ".join(choices)}')
        return found

    def choices(self, key: str, choices: Sequence[T]) -> tuple[T, ...]:
        found: list[T] = []
        for value in self.strings(key):
            match = next((c for c in choices if c == value), None)
            if match is None:
                self.error(key, f'"{value}" is not one of {", ".join(choices)}')
            else:
                found.append(match)
        return tuple(found)

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(key, f"must be a list of strings, not {_shown(value)}")
            return ()
        return tuple(value)

    def regex(self, key: str, *, required: bool = False) -> str | None:
        value = self.string(key, required=required)
        problem = regex_problem(value) if value is not None else None
        if problem:
            self.error(key, problem)
            return None
        return value

    def regexes(self, key: str) -> tuple[str, ...]:
        patterns = self.strings(key)
        problems = [p for p in map(regex_problem, patterns) if p]
        for problem in problems:
            self.error(key, problem)
        return () if problems else patterns

    def subtable(self, key: str) -> Mapping[str, object] | None:
        value = self.data.get(key)
        if value is None or isinstance(value, dict):
            return value
        self.error(key, f"must be a table ([{key}]), not {_shown(value)}")
        return None

    def tables(self, key: str) -> list[tuple[int, Mapping[str, object]]]:
        """An array of tables (`[[key]]`), each with its index."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.error(key, f"must be an array of tables ([[{key}]]), not {_shown(value)}")
            return []
        return list(enumerate(value))


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum} and {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"
