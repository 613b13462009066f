"""Command line entry point: ``tap-litmos`` and ``python -m tap_litmos``."""

from __future__ import annotations

import sys

from singer_sdk.exceptions import FatalAPIError

from tap_litmos.redaction import redact
from tap_litmos.tap import TapLitmos


def main() -> None:
    """Run the tap; a failure it can explain ends in one line, not a traceback."""
    try:
        TapLitmos.cli()
    except FatalAPIError as error:
        # The message names the endpoint and the setting to check. The key
        # travels only in a request header, but a server's error detail could
        # still echo it, and this line bypasses the logging filter.
        print(f"tap-litmos: {redact(str(error))}", file=sys.stderr)  # noqa: T201
        sys.exit(1)


if __name__ == "__main__":
    main()
