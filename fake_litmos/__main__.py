"""Run the fake Litmos server: `python -m fake_litmos --help`."""

import sys

from fake_litmos.cli import main

sys.exit(main())
