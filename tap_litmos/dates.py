"""Reading the date forms Litmos sends and writing the ones it accepts.

Litmos mixes several date encodings, sometimes within one record:

- ``/Date(1632182400000-0700)/``: .NET JSON dates. The number is milliseconds
  since the Unix epoch and is already the instant; the optional ``+hhmm`` or
  ``-hhmm`` after it is a display hint and must not shift the value.
- ``2016-12-09T07:54:27Z`` and ``2016-12-09T07:54:27+0000``: ISO 8601 with a zone.
- ``2021-09-20T19:19:55.847``: ISO 8601 without a zone, which Litmos means as UTC.
- ``""`` and ``null``: no date.

Every parsed date is emitted as an RFC 3339 string in UTC.
"""

from __future__ import annotations

import datetime as dt
import re

from dateutil.parser import isoparse

UTC = dt.timezone.utc

_DOTNET_DATE = re.compile(r"/Date\((-?\d+)(?:[+-]\d{4})?\)/")

# Windows of the date-range endpoints are sent in a form every variant accepts.
QUERY_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class UnparseableDateError(ValueError):
    """A value that should hold a date holds something else."""


def parse_litmos_date(value: object) -> dt.datetime | None:
    """Return the instant a Litmos date value stands for.

    Args:
        value: A value from a Litmos record: a string in any of the forms the
            module describes, an epoch number in milliseconds, or null.

    Returns:
        An aware UTC datetime, or None when the value means "no date".

    Raises:
        UnparseableDateError: The value is not a date in any known form.
    """
    if value is None:
        return None

    if isinstance(value, bool):
        raise UnparseableDateError(repr(value))

    if isinstance(value, (int, float)):
        return _from_epoch_milliseconds(value)

    if not isinstance(value, str):
        raise UnparseableDateError(repr(value))

    text = value.strip()
    if not text:
        return None

    if dotnet := _DOTNET_DATE.fullmatch(text):
        return _from_epoch_milliseconds(int(dotnet.group(1)))

    return _from_iso(text)


def format_rfc3339(instant: dt.datetime) -> str:
    """Write an aware datetime as an RFC 3339 string in UTC.

    Args:
        instant: An aware datetime.

    Returns:
        The instant as ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``.
    """
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def normalize_date(value: object) -> str | None:
    """Turn any Litmos date value into an RFC 3339 UTC string.

    Args:
        value: A date value as Litmos sends it.

    Returns:
        The RFC 3339 string, or None for "no date".

    Raises:
        UnparseableDateError: The value is not a date in any known form.
    """
    instant = parse_litmos_date(value)
    return None if instant is None else format_rfc3339(instant)


def parse_setting_date(value: str) -> dt.datetime:
    """Read a date given in the tap's settings, such as ``start_date``.

    Args:
        value: An ISO 8601 date or date-time; a value without a zone is UTC.

    Returns:
        An aware UTC datetime.

    Raises:
        UnparseableDateError: The value is not an ISO 8601 date.
    """
    return _from_iso(value.strip())


def format_query_date(instant: dt.datetime) -> str:
    """Write an instant as the ``since`` and ``to`` parameters expect it.

    Args:
        instant: An aware datetime.

    Returns:
        The instant in UTC as ``yyyy-MM-dd HH:mm:ss``.
    """
    return instant.astimezone(UTC).strftime(QUERY_DATE_FORMAT)


def _from_epoch_milliseconds(milliseconds: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(milliseconds / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise UnparseableDateError(str(milliseconds)) from error


def _from_iso(text: str) -> dt.datetime:
    # The standard parser is fast and, from Python 3.11, reads every ISO form
    # Litmos sends; dateutil covers the forms older Pythons reject ("Z", "+0000").
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = isoparse(text)
        except (ValueError, OverflowError) as error:
            raise UnparseableDateError(text) from error

    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)

    try:
        return parsed.astimezone(UTC)
    except OverflowError as error:
        raise UnparseableDateError(text) from error
