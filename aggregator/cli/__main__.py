import sys

from aggregator.cli.main import main

sys.exit(main())
