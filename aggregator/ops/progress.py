"""Progress for long CLI commands: a bar on a terminal, plain lines when output is redirected."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    """`step(label)` after each unit of work; `close()` at the end (or use `with`).

    On a terminal a bar redrawn in place; otherwise one plain line per step (or nothing, with
    `lines=False`, for commands that report each step themselves).
    """

    def __init__(
        self,
        total: int,
        what: str,
        *,
        stream: TextIO | None = None,
        interactive: bool | None = None,
        lines: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.what, self.done = total, what, 0
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.lines = lines  # off a terminal: a plain line per step (False: say nothing)
        self.clock = clock
        self.started = clock()

    def step(self, label: str = "") -> None:
        self.done += 1
        if self.interactive:
            self.stream.write("\r" + self.bar(label) + "\x1b[K")
        elif self.lines:
            self.stream.write(f"{self.what} {self.done}/{self.total} {label}".rstrip() + "\n")
        self.stream.flush()

    def bar(self, label: str = "") -> str:
        share = self.done / self.total if self.total else 1.0
        filled = int(share * BAR_WIDTH)
        elapsed = self.clock() - self.started
        return (
            f"{self.what} [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] "
            f"{self.done}/{self.total} {elapsed:.0f}s {label}"
        ).rstrip()

    def close(self) -> None:
        if self.interactive and self.done:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
