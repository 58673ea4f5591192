"""The `aggregator` command line: the entry point and one module per command group; uses every
stage.
"""

from aggregator.cli.main import main

__all__ = ["main"]
