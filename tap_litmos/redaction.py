"""Keeping the API key out of every log line, message and traceback.

The key only ever travels in a request header, which nothing logs. This filter
is the second line of defence: should any library, at any log level, format a
value that holds the key (an echoed header, a debug dump), it is masked before
a handler writes it.
"""

from __future__ import annotations

import logging
import traceback

MASK = "********"


class SecretFilter(logging.Filter):
    """Masks secrets in log records before they are written."""

    def __init__(self, secrets: list[str]) -> None:
        """Create a filter for the given secret values.

        Args:
            secrets: Values to mask; empty strings are ignored.
        """
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def redact(self, text: str) -> str:
        """Return the text with every secret masked."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask secrets in the message and traceback; never drops a record."""
        message = record.getMessage()
        if record.exc_info:
            rendered = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text = self.redact(rendered.rstrip("\n"))
            record.exc_info = None
        record.msg = self.redact(message)
        record.args = None
        return True


def install_secret_filter(secrets: list[str]) -> SecretFilter:
    """Attach a secret filter to every handler that exists now.

    Args:
        secrets: Values to mask.

    Returns:
        The filter, so callers can redact their own messages with it.
    """
    secret_filter = SecretFilter(secrets)
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        if not isinstance(logger, logging.Logger):
            continue
        for handler in logger.handlers:
            if not any(isinstance(f, SecretFilter) for f in handler.filters):
                handler.addFilter(secret_filter)
    return secret_filter
