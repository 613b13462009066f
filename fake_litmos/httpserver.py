"""Real sockets: a threaded HTTP/1.1 server (with keep-alive) around the app."""

from __future__ import annotations

import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fake_litmos.app import API_PREFIX, App
from fake_litmos.dates import http_date
from fake_litmos.messages import Request, Response

if TYPE_CHECKING:
    from fake_litmos.mutations import Clock

logger = logging.getLogger("fake_litmos")

_TRICKLE_STEPS = 10

_Request = socket.socket | tuple[bytes, socket.socket]
_MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    """Turns each HTTP request into an app call and writes the answer."""

    protocol_version = "HTTP/1.1"
    # Small header and body writes must not wait for delayed ACKs.
    disable_nagle_algorithm = True
    # An idle keep-alive connection is closed after this many seconds.
    timeout = 30
    server: LitmosHTTPServer

    def version_string(self) -> str:
        """Name the server as IIS does."""
        return "Microsoft-IIS/10.0"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Stamp the Date header from the fake clock."""
        del timestamp
        return http_date(self.server.clock.now())

    def log_message(self, fmt: str, *args: object) -> None:
        """Send access logs to the `fake_litmos` logger instead of stderr."""
        logger.debug(fmt, *args)

    def do_GET(self) -> None:
        """Answer a GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Answer a POST (control endpoints; the API refuses it)."""
        self._dispatch()

    def do_PUT(self) -> None:
        """Answer a PUT (refused)."""
        self._dispatch()

    def do_DELETE(self) -> None:
        """Answer a DELETE (refused)."""
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            # Read and ignore any body, so the next request on this connection
            # starts at the right place.
            self.rfile.read(min(length, _MAX_BODY))
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, parts.path, parts.query, headers)
        is_api = parts.path.startswith(API_PREFIX)
        counters = self.server.app.counters
        if is_api:
            counters.enter()
        try:
            self._send(self.server.app.handle(request))
        finally:
            if is_api:
                counters.leave()

    def _send(self, response: Response) -> None:
        if response.delay > 0:
            time.sleep(response.delay)
        if response.drop:
            # Close without a status line: the client sees the connection die.
            self.close_connection = True
            return

        self.send_response(response.status, response.reason)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "private")
        self.send_header("X-Powered-By", "ASP.NET")
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if response.trickle <= 0 or not response.body:
            self.wfile.write(response.body)
            return

        body = response.body
        step = max(1, -(-len(body) // _TRICKLE_STEPS))
        pause = response.trickle / _TRICKLE_STEPS
        for offset in range(0, len(body), step):
            self.wfile.write(body[offset : offset + step])
            self.wfile.flush()
            time.sleep(pause)

    def handle(self) -> None:
        """Serve the connection; a client going away is normal, not an error."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            self.close_connection = True


class LitmosHTTPServer(ThreadingHTTPServer):
    """A thread-per-connection server that can close its open connections."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, clock: Clock) -> None:
        """Bind to `address` (port 0 picks a free port)."""
        self.app = app
        self.clock = clock
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: _Request, client_address: object) -> None:
        """Track the connection so `close_connections` can end it."""
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: _Request) -> None:
        """Forget a finished connection."""
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every open connection, waking threads blocked on them."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            _shut(sock)

    def handle_error(self, request: _Request, client_address: object) -> None:
        """Log unexpected handler errors instead of printing to stderr."""
        del request
        # socketserver calls this from inside its own except block.
        logger.exception("error while serving %s", client_address)  # noqa: LOG004


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        # Already closed by the other side: nothing left to end.
        return
