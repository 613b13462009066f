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

# Shorter values are no secret worth masking, and masking them would garble
# ordinary text.
_SHORTEST_SECRET = 4

# Every filter installed in this process, for text that bypasses logging.
_installed: list[SecretFilter] = []


class SecretFilter(logging.Filter):
    """Masks secrets in log records before they are written."""

    def __init__(self, secrets: list[str]) -> None:
        """Create a filter for the given secret values.

        Args:
            secrets: Values to mask; empty strings are ignored.
        """
        super().__init__()
        # Longest first, so a key is masked whole before any shorter form of it.
        forms = {form for secret in secrets if secret for form in _forms(secret)}
        self._secrets = sorted(forms, key=len, reverse=True)

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


def _forms(secret: str) -> set[str]:
    # A key pasted with a trailing newline or space is quoted by libraries in
    # escaped form (repr of the str or of its bytes): each form is masked, as
    # is the key without the stray whitespace.
    forms = {secret, secret.strip(), repr(secret)[1:-1]}
    forms.add(repr(secret.encode("utf-8", "backslashreplace"))[2:-1])
    return {form for form in forms if len(form) >= _SHORTEST_SECRET}


def redact(text: str) -> str:
    """Return the text with the secrets of every installed filter masked."""
    for secret_filter in _installed:
        text = secret_filter.redact(text)
    return text


def install_secret_filter(secrets: list[str]) -> SecretFilter:
    """Attach a secret filter to every handler that exists now.

    Args:
        secrets: Values to mask.

    Returns:
        The filter, so callers can redact their own messages with it.
    """
    secret_filter = SecretFilter(secrets)
    _installed.append(secret_filter)
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        if not isinstance(logger, logging.Logger):
            continue
        for handler in logger.handlers:
            if not any(isinstance(f, SecretFilter) for f in handler.filters):
                handler.addFilter(secret_filter)
    return secret_filter
