"""Requests and responses as the app sees them, and the fixed error answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fake_litmos import render
from fake_litmos.faults import GATEWAY_PAGES, IIS_500_PAGE, MAINTENANCE_PAGE

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass
class Request:
    """An HTTP request as the app sees it (header names in lower case)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]


@dataclass
class Response:
    """What to send back, and how (late, slowly, or not at all).

    Attributes:
        status: HTTP status (unused when `drop` is set).
        body: The complete body.
        content_type: Value of the Content-Type header.
        reason: Reason phrase; None for the standard one.
        headers: Extra headers.
        delay: Seconds to wait before answering.
        trickle: Seconds over which to spread sending the body.
        drop: Close the connection without answering.
    """

    status: int
    body: bytes
    content_type: str
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    trickle: float = 0.0
    drop: bool = False


class ApiError(Exception):
    """An error answer with a `Detail` message."""

    def __init__(self, status: int, detail: str) -> None:
        """Keep the status and the message."""
        super().__init__(detail)
        self.status = status
        self.detail = detail


def error_response(status: int, detail: str, *, as_json: bool) -> Response:
    """Build an error answer; the reason phrase repeats the detail, as IIS does."""
    reason = detail.encode("ascii", "replace").decode()[:120]
    if as_json:
        body = render.json_bytes({"Detail": detail})
        return Response(status, body, render.JSON_TYPE, reason)
    return Response(status, render.xml_error(detail), render.XML_TYPE, reason)


def canned_fault(fault: str | None) -> Response | None:
    """Return the fixed answer of a fault that replaces the real one, if any."""
    if fault == "500_html":
        page = IIS_500_PAGE.encode()
        return Response(500, page, render.HTML_TYPE, "Internal Server Error")
    if fault == "502":
        page = GATEWAY_PAGES[502].encode()
        return Response(502, page, render.HTML_TYPE, "Bad Gateway")
    if fault == "504":
        page = GATEWAY_PAGES[504].encode()
        return Response(504, page, render.HTML_TYPE, "Gateway Time-out")
    if fault == "html_200":
        return Response(200, MAINTENANCE_PAGE.encode(), render.HTML_TYPE)
    if fault == "drop":
        return Response(0, b"", "", drop=True)
    return None
