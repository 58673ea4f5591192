"""`python -m aggregator.cli`: the `aggregator` command."""

import sys

from aggregator.cli.main import main

if __name__ == "__main__":  # a spawned pool process imports this module too: it must not run
    sys.exit(main())
