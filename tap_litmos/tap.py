"""The Litmos tap: its settings, their checks, and its streams."""

from __future__ import annotations

import ipaddress
import re
import signal
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlparse

from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.singerlib import StateMessage
from typing_extensions import override

from tap_litmos.connection import LitmosConnection
from tap_litmos.dates import UnparseableDateError, parse_setting_date
from tap_litmos.redaction import install_secret_filter
from tap_litmos.streams import STREAM_TYPES

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from singer_sdk.helpers.types import TapState
    from singer_sdk.singerlib import Message
    from singer_sdk.streams import Stream

REGION_URLS = {
    "us": "https://api.litmos.com/v1.svc",
    "eu": "https://api.litmoseu.com/v1.svc",
    "au": "https://api.litmos.com.au/v1.svc",
}

_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]+")


def _setting(
    name: str,
    kind: th.JSONTypeHelper[Any] | type[th.JSONTypeHelper[Any]],
    title: str,
    description: str,
    **options: Any,  # noqa: ANN401
) -> th.Property[Any]:
    return th.Property(name, kind, title=title, description=description, **options)


SETTINGS = th.PropertiesList(
    _setting(
        "api_key",
        th.StringType(min_length=1, max_length=200),
        "API key",
        "Litmos API key of an administrator or account owner, sent in the "
        "apikey header. Found under My Profile & Settings in Litmos.",
        required=True,
        secret=True,
    ),
    _setting(
        "source",
        th.StringType(min_length=1, max_length=50),
        "Source",
        "Free text naming the calling application or account, sent with every "
        "call as Litmos requires (the 'Source' or account name in the console).",
        required=True,
    ),
    _setting(
        "region",
        th.StringType(allowed_values=sorted(REGION_URLS)),
        "Region",
        "Data centre of the Litmos site: us (api.litmos.com), eu "
        "(api.litmoseu.com) or au (api.litmos.com.au).",
        default="us",
    ),
    _setting(
        "api_url",
        th.URIType,
        "API URL",
        "Full base URL including /v1.svc; overrides region. Must use https "
        "unless the host is loopback (a local test server).",
    ),
    _setting(
        "start_date",
        th.DateTimeType,
        "Start date",
        "Earliest change a first run reads through the date-range endpoints. "
        "Without state and without start_date, a first run reads everything.",
    ),
    _setting(
        "course_ids",
        th.ArrayType(th.StringType),
        "Course ids",
        "Only these courses and their users are synced; empty means all.",
        default=[],
    ),
    _setting(
        "page_size",
        th.IntegerType(minimum=1, maximum=1000),
        "Page size",
        "Records asked for per call (1 to 1000); the largest page saves calls.",
        default=1000,
    ),
    _setting(
        "user_agent",
        th.StringType,
        "User agent",
        "User-Agent header sent with every call.",
        default="tap-litmos",
    ),
    _setting(
        "requests_per_minute",
        th.IntegerType(minimum=1, maximum=10000),
        "Requests per minute",
        "The tap's share of the key's limit of 100 calls per rolling minute, "
        "shared by all streams and threads; the rest is left to other clients.",
        default=90,
    ),
    _setting(
        "max_concurrency",
        th.IntegerType(minimum=1, maximum=16),
        "Maximum concurrency",
        "Team member and course user lists read at the same time. Eight keep "
        "the pace at 90 calls a minute with up to about 5 s of latency a call.",
        default=8,
    ),
    _setting(
        "request_timeout",
        th.IntegerType(minimum=1, maximum=3600),
        "Request timeout",
        "Seconds to wait for one response; some Litmos endpoints are slow.",
        default=120,
    ),
    _setting(
        "max_tries",
        th.IntegerType(minimum=1, maximum=100),
        "Maximum tries",
        "Tries of one call through server errors, timeouts and broken responses "
        "before the sync fails.",
        default=8,
    ),
    _setting(
        "max_retry_seconds",
        th.IntegerType(minimum=1),
        "Maximum retry time",
        "Seconds one call may spend retrying server errors before the sync fails.",
        default=900,
    ),
    _setting(
        "max_rate_limit_wait_seconds",
        th.IntegerType(minimum=1),
        "Maximum rate-limit wait",
        "Seconds one call may wait out rate-limit refusals (503 or 429) before "
        "the sync fails.",
        default=1800,
    ),
).to_dict()


class StoppableWriter(MsgSpecWriter):
    """Writes Singer messages, and a final STATE once the tap is told to stop.

    A stop signal may arrive while a message is half written, the pipe to the
    target being full; writing the STATE from the signal handler then would
    fail, or cut the message in two. The STATE waits for the message instead.
    """

    def __init__(self) -> None:
        """Create a writer with no stop asked for."""
        super().__init__()
        self._writing = False
        self._stop_state: Callable[[], TapState] | None = None

    @override
    def write_message(self, message: Message) -> None:
        self._writing = True
        try:
            super().write_message(message)
        finally:
            self._writing = False
        if self._stop_state is not None:
            self._stop()

    def stop(self, state: Callable[[], TapState]) -> None:
        """Write a final STATE and exit, now or once the current write ends.

        Args:
            state: Returns the tap's state when the STATE is written.
        """
        self._stop_state = state
        if not self._writing:
            self._stop()

    def _stop(self) -> NoReturn:
        state, self._stop_state = self._stop_state, None
        if state is not None:
            self._writing = True
            super().write_message(StateMessage(value=state()))
        raise SystemExit(0)


class TapLitmos(Tap):
    """Singer tap for SAP Litmos."""

    name = "tap-litmos"
    config_jsonschema = SETTINGS
    message_writer_class = StoppableWriter

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        """Check the settings and open the connection every stream shares."""
        self.listed_ids: dict[str, list[str]] = {}
        self._connection: LitmosConnection | None = None
        super().__init__(*args, **kwargs)
        problems = settings_problems(self.config)
        if problems:
            summary = "Invalid tap-litmos settings"
            raise ConfigValidationError(
                summary,
                errors=problems,
                schema=self.config_jsonschema,
            )

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        # Before the SDK checks the settings: a schema error quotes the value
        # it rejects, such as an api_key that is too long.
        api_key = self._config.get("api_key")
        self.secret_filter = install_secret_filter(
            [] if api_key is None else [str(api_key)]
        )
        return super()._validate_config(raise_errors=raise_errors)

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        # The SDK's handler writes a STATE only if it changed since the last
        # one, which may lie many records back, and writes it even in the
        # middle of another message. Bookmarks only move once what they cover
        # was written, so the state at any instant is safe to end on.
        writer = self.message_writer
        if not isinstance(writer, StoppableWriter):
            super()._handle_termination(signum, frame)
            return
        self.logger.info(
            "Stopping on %s; the final STATE covers every record written.",
            signal.Signals(signum).name,
        )
        writer.stop(lambda: self.state)

    @property
    def connection(self) -> LitmosConnection:
        """The HTTP session, pacer and server clock of this run."""
        if self._connection is None:
            self._connection = LitmosConnection(
                requests_per_minute=int(self.config["requests_per_minute"]),
                max_concurrency=int(self.config["max_concurrency"]),
                user_agent=str(self.config["user_agent"]),
            )
        return self._connection

    @property
    def base_url(self) -> str:
        """The API base URL: api_url when set, else the region's."""
        return base_url_of(self.config)

    @override
    def discover_streams(self) -> list[Stream]:
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    @property
    @override
    def streams(self) -> dict[str, Stream]:
        # The SDK sorts streams by name; the declared order syncs teams before
        # their members and courses before their users, so each child stream
        # reuses the ids its parent just listed instead of listing them again.
        streams = super().streams
        declared = [stream_type.name for stream_type in STREAM_TYPES]
        if list(streams) != declared:
            ordered = sorted(streams, key=declared.index)
            streams = self._streams = {name: streams[name] for name in ordered}
        return streams


def base_url_of(config: Any) -> str:  # noqa: ANN401
    """Return the API base URL the settings choose."""
    explicit = config.get("api_url")
    if explicit:
        return str(explicit).rstrip("/")
    return REGION_URLS[str(config.get("region") or "us")]


def settings_problems(config: Any) -> list[str]:  # noqa: ANN401
    """Return one line per invalid setting, naming the setting and the fix.

    The SDK checks types and ranges; these are the rules a JSON schema does not
    say well enough to guide a user.
    """
    problems: list[str] = []
    api_key = config.get("api_key")
    if isinstance(api_key, str) and not _is_clean_key(api_key):
        # The value is never quoted: this message is printed, and it is a secret.
        problems.append(
            "api_key must be printable ASCII without spaces at either end; a "
            "line break or space is often pasted along with the key. Set it again."
        )
    api_url = config.get("api_url")
    if api_url:
        problems.extend(_api_url_problems(str(api_url)))

    start_date = config.get("start_date")
    if start_date:
        try:
            parse_setting_date(str(start_date))
        except UnparseableDateError:
            problems.append(
                f"start_date {start_date!r} is not an ISO 8601 date such as "
                "2024-01-31 or 2024-01-31T00:00:00Z."
            )

    problems.extend(
        f"course_ids holds {course_id!r}: Litmos ids are letters, digits, "
        "'-' and '_' only."
        for course_id in config.get("course_ids") or []
        if not isinstance(course_id, str) or not _ID_PATTERN.fullmatch(course_id)
    )
    return problems


def _is_clean_key(api_key: str) -> bool:
    # Anything else is mangled in an HTTP header, or fails the request with an
    # error that quotes the header's value.
    return api_key.isascii() and api_key.isprintable() and api_key == api_key.strip()


def _api_url_problems(api_url: str) -> list[str]:
    parsed = urlparse(api_url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return [f"api_url {api_url!r} is not an http(s) URL."]
    if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
        return [
            (
                f"api_url {api_url!r} uses http: Litmos requires https; plain "
                "http is allowed only for a loopback test server."
            )
        ]
    return []


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
