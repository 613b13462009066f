"""Command line entry point: ``tap-litmos`` and ``python -m tap_litmos``."""

from __future__ import annotations

import sys

from singer_sdk.exceptions import FatalAPIError

from tap_litmos.tap import TapLitmos


def main() -> None:
    """Run the tap; a failure it can explain ends in one line, not a traceback."""
    try:
        TapLitmos.cli()
    except FatalAPIError as error:
        # The message names the endpoint and the setting to check; the key
        # never reaches it, since it travels only in a request header.
        print(f"tap-litmos: {error}", file=sys.stderr)  # noqa: T201
        sys.exit(1)


if __name__ == "__main__":
    main()
