"""Errors the tap raises, each with a message a user can act on in one line."""

from __future__ import annotations

from singer_sdk.exceptions import FatalAPIError


class LitmosError(FatalAPIError):
    """A failure that ends the sync; its message says what to fix."""


class LitmosRequestRefusedError(LitmosError):
    """Litmos answered 4xx: the request, the key or the settings are wrong."""

    def __init__(self, message: str, status: int) -> None:
        """Describe a refusal.

        Args:
            message: What was refused and which setting to check.
            status: The HTTP status Litmos answered.
        """
        super().__init__(message)
        self.status = status


class LitmosUnavailableError(LitmosError):
    """Litmos kept failing after every retry the settings allow."""


class LitmosNotFoundError(LitmosRequestRefusedError):
    """Litmos answered 404: an unknown endpoint, or an id that no longer exists."""


class RateLimitedError(Exception):
    """Litmos refused a call for the rate limit; the caller waits and tries again.

    Deliberately not a retriable API error: waiting out the rate limit must not
    spend the retry budget meant for server errors.
    """

    def __init__(self, path: str, status: int, retry_after: float | None) -> None:
        """Describe a refusal.

        Args:
            path: The endpoint path of the refused call.
            status: 503 or 429.
            retry_after: The wait Litmos asked for, in seconds, if it said.
        """
        super().__init__(f"{status} rate limit on {path}")
        self.path = path
        self.status = status
        self.retry_after = retry_after
