"""What every command shares: exit codes, loading the configuration, opening the store."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aggregator.config import load_config
from aggregator.config.types import Config
from aggregator.errors import ConfigErrors

if TYPE_CHECKING:
    from aggregator.store import Storage

EXIT_OK, EXIT_PROBLEMS, EXIT_CONFIG = 0, 1, 2
Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse's _SubParsersAction is private


def lazy(module: str, name: str) -> Any:
    """A handler imported only when its command runs, so `--help` stays fast."""

    def handler(args: argparse.Namespace) -> int:
        from importlib import import_module

        result: int = getattr(import_module(module), name)(args)
        return result

    return handler


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def load_or_report(args: argparse.Namespace) -> Config | None:
    """The configuration, or None after printing every problem as FILE:LINE: message."""
    try:
        return load_config(args.sources)
    except ConfigErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        return None


def open_storage(args: argparse.Namespace) -> Storage:
    from aggregator.store import Storage

    return Storage.open(args.db)
