"""Thin entry point: start the service (scheduler + publishing + web server).

Same as `aggregator run`; options come from the environment (AGGREGATOR_SOURCES, AGGREGATOR_DB,
AGGREGATOR_FEEDS_DIR, AGGREGATOR_HOST, AGGREGATOR_PORT).
"""

import sys

from aggregator.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
