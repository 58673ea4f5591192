"""Where things are in a TOML file: tomllib gives no line numbers, so scan the text for them.

A location is a path of keys and array indices, the way the parsed data is reached:
`("source", 2, "select", "item")` is the `item` key of the third `[[source]]`'s `[source.select]`.
Table headers are recorded under their own path, so a missing key falls back to its table's line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

Where = tuple[str | int, ...]

_BARE_KEY = r"[A-Za-z0-9_-]+"
_KEY_PART = rf'(?:{_BARE_KEY}|"[^"\n]*"|\'[^\'\n]*\')'
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED_KEY})\s*\]\]?")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=(.*)$")
_KEY_SPLIT = re.compile(rf"\s*({_KEY_PART})\s*(?:\.|$)")
_STRUCTURE = re.compile(r"[\[\]{}]|'''|\"\"\"")  # what may open or close a multi-line value
_STRINGS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|(?P<opening>"""|\'\'\')'
    r'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''
)


@dataclass
class LineIndex:
    """Maps locations in the parsed TOML to 1-based line numbers of the text."""

    lines: dict[Where, int] = field(default_factory=dict)
    headers: list[tuple[int, Where]] = field(default_factory=list)  # (line, table path), in order

    def line_of(self, where: Where) -> int:
        """The line of `where`, else of its nearest recorded ancestor (a table header), else 0."""
        for end in range(len(where), 0, -1):
            line = self.lines.get(where[:end])
            if line is not None:
                return line
        return 0


def index_lines(text: str) -> LineIndex:
    return _Scanner().scan(text)


@functools.lru_cache(maxsize=1024)  # a file repeats a few keys (id, name, url...) many times
def split_key(dotted: str) -> tuple[str, ...]:
    """`a."b.c".d` -> ("a", "b.c", "d")."""
    return tuple(_unquote(m.group(1)) for m in _KEY_SPLIT.finditer(dotted.strip()))


def _unquote(part: str) -> str:
    if len(part) >= 2 and part[0] == part[-1] and part[0] in "\"'":
        return part[1:-1]
    return part


@dataclass
class _Scanner:
    index: LineIndex = field(default_factory=LineIndex)
    table: Where = ()
    array_counts: dict[Where, int] = field(default_factory=dict)
    open_brackets: int = 0
    in_multiline: str | None = None  # the closing delimiter of a multi-line string

    def scan(self, text: str) -> LineIndex:
        for number, line in enumerate(text.splitlines(), start=1):
            self._line(number, line)
        return self.index

    def _line(self, number: int, line: str) -> None:
        if self.in_multiline or self.open_brackets > 0:
            self._continue_value(line)
            return
        header = _HEADER.match(line)
        if header:
            self._header(number, header.group(1) == "[[", split_key(header.group(2)))
            return
        key_line = _KEY_LINE.match(line)
        if key_line:
            where = self.table + split_key(key_line.group(1))
            self.index.lines.setdefault(where, number)
            self._continue_value(key_line.group(2))

    def _header(self, number: int, is_array: bool, keys: tuple[str, ...]) -> None:
        path = (*self._resolve(keys[:-1]), keys[-1])
        if is_array:
            position = self.array_counts.get(path, -1) + 1
            self.array_counts[path] = position
            path = (*path, position)
        self.table = path
        self.index.lines.setdefault(path, number)
        self.index.headers.append((number, path))

    def _resolve(self, keys: tuple[str, ...]) -> Where:
        """A parent path, with each array-of-tables component pointing at its latest element."""
        path: Where = ()
        for key in keys:
            path = (*path, key)
            if path in self.array_counts:
                path = (*path, self.array_counts[path])
        return path

    def _continue_value(self, text: str) -> None:
        """Track multi-line arrays and strings so their insides are not taken for keys."""
        if not (self.in_multiline or self.open_brackets or _STRUCTURE.search(text)):
            return  # a one-line value: nothing opens or closes
        if self.in_multiline:
            end = text.find(self.in_multiline)
            if end < 0:
                return
            text = text[end + 3 :]
            self.in_multiline = None
        code = self._outside_strings(text).split("#", 1)[0]
        self.open_brackets += code.count("[") + code.count("{")
        self.open_brackets -= code.count("]") + code.count("}")
        self.open_brackets = max(self.open_brackets, 0)

    def _outside_strings(self, text: str) -> str:
        """`text` with complete strings blanked; an opening triple quote ends it."""
        code = []
        position = 0
        for token in _STRINGS.finditer(text):
            code.append(text[position : token.start()])
            position = token.end()
            if token.group("opening"):
                self.in_multiline = token.group("opening")
                return "".join(code)
            code.append("0")
        code.append(text[position:])
        return "".join(code)
