"""The base stream: Litmos URLs, authentication, paging, errors and retries."""

from __future__ import annotations

import email.utils
import functools
import logging
import threading
import time
import weakref
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlparse

import backoff
import msgspec
import requests
from singer_sdk import RESTStream
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import OffsetPaginator
from typing_extensions import override

from tap_litmos.errors import (
    LitmosNotFoundError,
    LitmosRequestRefusedError,
    LitmosUnavailableError,
    RateLimitedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from backoff.types import Details
    from singer_sdk.helpers.types import Context

    from tap_litmos.connection import LitmosConnection

LOGGER = logging.getLogger("tap-litmos")

# Errors after which the same request may well succeed: server errors, network
# failures and bodies that are not the JSON asked for (IIS error pages, cut-off
# responses). Rate-limit refusals are handled apart, see RateLimitedError.
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    RetriableAPIError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)

_RATE_LIMIT_STATUSES = frozenset({HTTPStatus.SERVICE_UNAVAILABLE, 429})
_DETAIL_LENGTH = 200

_json_decoder = msgspec.json.Decoder()


class LitmosPaginator(OffsetPaginator):
    """Offset paging that trusts only what each page actually held.

    Litmos gives no totals and no next links: a page shorter than the limit is
    the last, so no request is spent on an empty page after it. Pages have been
    seen to hold more items than asked for, so the offset moves by the number
    of items received rather than by the page size.
    """

    def __init__(self, page_size: int, count_items: Callable[[Any], int]) -> None:
        """Create a paginator starting at offset 0.

        Args:
            page_size: The ``limit`` sent with every request.
            count_items: Returns how many items a response held.
        """
        super().__init__(0, page_size)
        self._count_items = count_items

    @override
    def has_more(self, response: requests.Response) -> bool:
        return self._count_items(response) >= self.page_size

    @override
    def get_next(self, response: requests.Response) -> int | None:
        return self.current_value + self._count_items(response)


class LitmosStream(RESTStream[int]):
    """A stream read from the Litmos REST API.

    Streams read several endpoints, so the endpoint travels in the request
    context (``{"endpoint": "/teams/{team_id}/users", "team_id": ...}``) rather
    than in a fixed ``path``.
    """

    # Records are converted to their schema types as they are built, so the
    # SDK's own per-value conformance pass would only repeat that work.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    path = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        """Create the stream and its cache of decoded response bodies."""
        super().__init__(*args, **kwargs)
        self._decoded: weakref.WeakKeyDictionary[
            requests.Response, list[dict[str, Any]]
        ] = weakref.WeakKeyDictionary()
        self._decoded_lock = threading.Lock()

    @property
    def connection(self) -> LitmosConnection:
        """The session, pacer and clock shared by all streams of this run."""
        return cast("Any", self._tap).connection  # type: ignore[no-any-return]

    @property
    def listed_ids(self) -> dict[str, list[str]]:
        """The ids each parent stream listed in full during this run."""
        return cast("Any", self._tap).listed_ids  # type: ignore[no-any-return]

    @property
    @override
    def url_base(self) -> str:
        return str(cast("Any", self._tap).base_url)

    @property
    @override
    def authenticator(self) -> APIKeyAuthenticator:
        # The key goes in a header: in a query string it would show up in
        # error messages, proxies' logs and the SDK's request metrics.
        return APIKeyAuthenticator(
            key="apikey", value=self.config["api_key"], location="header"
        )

    @property
    @override
    def requests_session(self) -> requests.Session:
        return self.connection.session

    @property
    @override
    def timeout(self) -> int:
        return int(self.config["request_timeout"])

    @override
    def get_url(self, context: Context | None) -> str:
        endpoint = str((context or {})["endpoint"])
        path_values = {
            name: quote(str(value), safe="")
            for name, value in (context or {}).items()
            if name != "endpoint"
        }
        return self.url_base + endpoint.format_map(path_values)

    @override
    def get_url_params(
        self, context: Context | None, next_page_token: int | None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "source": self.config["source"],
            "format": "json",
            "start": next_page_token or 0,
            "limit": self.config["page_size"],
        }
        if context and "since" in context:
            params["since"] = context["since"]
            params["to"] = context["to"]
        if context and "params" in context:
            params.update(context["params"])
        return params

    @override
    def get_new_paginator(self) -> LitmosPaginator:
        return LitmosPaginator(int(self.config["page_size"]), self._count_items)

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        path = urlparse(response.url).path
        if status in _RATE_LIMIT_STATUSES:
            raise RateLimitedError(path, status, _retry_after_seconds(response))
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            msg = f"{status} {response.reason} from {path}: {_detail(response)}"
            raise RetriableAPIError(msg, response)
        if status == HTTPStatus.NOT_FOUND:
            raise LitmosNotFoundError(_refusal_message(response, path), status)
        if status >= HTTPStatus.BAD_REQUEST:
            raise LitmosRequestRefusedError(_refusal_message(response, path), status)

        # A 200 can still carry an IIS error page or a body cut off mid-way;
        # decoding here, inside the retry loop, lets those be retried too.
        items = _decode_items(response, path)
        with self._decoded_lock:
            self._decoded[response] = items

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        with self._decoded_lock:
            items = self._decoded.get(response, [])
        yield from items

    @override
    def request_decorator(self, func: Callable[..., Any]) -> Callable[..., Any]:
        pacer = self.connection.pacer

        def paced(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
            pacer.wait_turn()
            return func(*args, **kwargs)

        retrying = backoff.on_exception(
            functools.partial(backoff.expo, max_value=60),
            TRANSIENT_ERRORS,
            max_tries=int(self.config["max_tries"]),
            max_time=float(self.config["max_retry_seconds"]),
            jitter=backoff.full_jitter,
            on_backoff=self.backoff_handler,
            logger=None,
        )(paced)

        @functools.wraps(func)
        def send(
            prepared_request: requests.PreparedRequest, context: Context | None
        ) -> requests.Response:
            return self._send_through_rate_limits(retrying, prepared_request, context)

        return send

    def _send_through_rate_limits(
        self,
        retrying: Callable[..., requests.Response],
        prepared_request: requests.PreparedRequest,
        context: Context | None,
    ) -> requests.Response:
        pacer = self.connection.pacer
        path = urlparse(str(prepared_request.url)).path
        limit = float(self.config["max_rate_limit_wait_seconds"])
        first_refusal: float | None = None
        while True:
            try:
                response = retrying(prepared_request, context)
            except RateLimitedError as refusal:
                first_refusal = first_refusal or time.monotonic()
                if time.monotonic() - first_refusal > limit:
                    msg = (
                        f"Litmos kept refusing {path} for its rate limit for over "
                        f"{limit:.0f} s; another client may be using the same key. "
                        "Raise max_rate_limit_wait_seconds or lower "
                        "requests_per_minute."
                    )
                    raise LitmosUnavailableError(msg) from None
                wait = pacer.hold_after_refusal(refusal.retry_after)
                if wait is not None:
                    self.logger.warning(
                        "Litmos rate limit reached (%s on %s); all requests wait "
                        "%.1f s.",
                        refusal.status,
                        path,
                        wait,
                    )
                continue
            except TRANSIENT_ERRORS as error:
                # The retries end at whichever limit comes first, so the
                # message names both rather than a count of tries.
                msg = (
                    f"Litmos kept failing on {path}: {_describe(error)}. Gave up "
                    f"when max_tries ({self.config['max_tries']}) or "
                    f"max_retry_seconds ({self.config['max_retry_seconds']}) "
                    "ran out."
                )
                raise LitmosUnavailableError(msg) from None
            pacer.note_success()
            return response

    @override
    def backoff_handler(self, details: Details) -> None:
        error = details.get("exception")
        request = details["args"][0] if details.get("args") else None
        path = urlparse(str(request.url)).path if request is not None else self.name
        self.logger.warning(
            "Retrying %s in %.1f s after try %d failed: %s",
            path,
            details.get("wait") or 0.0,
            details.get("tries", 0),
            _describe(error) if isinstance(error, Exception) else "unknown error",
        )

    def _count_items(self, response: requests.Response) -> int:
        with self._decoded_lock:
            return len(self._decoded.get(response, ()))


def _decode_items(response: requests.Response, path: str) -> list[dict[str, Any]]:
    content_type = response.headers.get("Content-Type", "")
    body = response.content
    if "html" in content_type or body.lstrip()[:1] == b"<":
        msg = f"{path} answered {response.status_code} with a page that is not JSON"
        raise RetriableAPIError(msg, response)
    try:
        payload = _json_decoder.decode(body)
    except msgspec.DecodeError as error:
        msg = f"{path} answered with invalid or truncated JSON ({error!s})"
        raise RetriableAPIError(msg, response) from None
    return _items_of(payload)


def _items_of(payload: Any) -> list[dict[str, Any]]:  # noqa: ANN401
    # Lists are bare arrays and a single item a bare object; some published
    # specs wrap lists in an object such as {"User": [...]}, so that is read too.
    if isinstance(payload, list):
        return [item for item in payload if isinstance(item, dict)]
    if isinstance(payload, dict):
        wrapped = [value for value in payload.values() if isinstance(value, list)]
        if len(wrapped) == 1 and len(payload) == 1:
            return [item for item in wrapped[0] if isinstance(item, dict)]
        return [payload]
    return []


def _detail(response: requests.Response) -> str:
    """Return the ``Detail`` Litmos gives for an error, shortened, or the reason."""
    try:
        payload = _json_decoder.decode(response.content)
    except msgspec.DecodeError:
        return response.reason or "no detail"
    if isinstance(payload, dict):
        detail = payload.get("Detail") or payload.get("Message")
        if isinstance(detail, str) and detail:
            return detail[:_DETAIL_LENGTH]
    return response.reason or "no detail"


def _refusal_message(response: requests.Response, path: str) -> str:
    status = response.status_code
    detail = _detail(response)
    if status == HTTPStatus.UNAUTHORIZED:
        return (
            f"Litmos refused the API key (401 on {path}: {detail}). Check the "
            "api_key setting (TAP_LITMOS_API_KEY); the API is off on trial accounts."
        )
    if status == HTTPStatus.FORBIDDEN:
        return (
            f"Litmos denied access (403 on {path}: {detail}). Check api_key (an "
            "administrator's or account owner's key is needed), source, and that "
            "api_url uses https."
        )
    if status == HTTPStatus.BAD_REQUEST:
        return (
            f"Litmos rejected the request (400 on {path}: {detail}). Check the "
            "source setting (TAP_LITMOS_SOURCE): free text of at most 50 characters."
        )
    if status == HTTPStatus.NOT_ACCEPTABLE:
        query = _safe_query(response)
        return (
            f"Litmos rejected the parameters of {path} (406: {detail}); sent "
            f"{query}. Check page_size (1 to 1000) and start_date."
        )
    if status == HTTPStatus.NOT_FOUND:
        return (
            f"Litmos has no endpoint {path} (404: {detail}). Check region or api_url."
        )
    return f"Litmos refused {path} ({status} {response.reason}: {detail})."


def _safe_query(response: requests.Response) -> str:
    # The query holds paging and window parameters, never the key (a header).
    query = urlparse(response.url).query
    return query.replace("&", ", ") if query else "no parameters"


def _retry_after_seconds(response: requests.Response) -> float | None:
    header = response.headers.get("Retry-After")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        retry_at = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    served_at = response.headers.get("Date")
    try:
        now = email.utils.parsedate_to_datetime(served_at) if served_at else None
    except (TypeError, ValueError):
        now = None
    if now is None or retry_at.tzinfo is None or now.tzinfo is None:
        return max(0.0, retry_at.timestamp() - time.time())
    return max(0.0, (retry_at - now).total_seconds())


def _describe(error: Exception) -> str:
    if isinstance(error, RetriableAPIError):
        return str(error)
    if isinstance(error, requests.exceptions.Timeout):
        return "the request timed out"
    if isinstance(error, requests.exceptions.ConnectionError):
        return "the connection failed or was dropped"
    return type(error).__name__
