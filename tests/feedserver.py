"""A real HTTP server on 127.0.0.1 for tests: canned routes, recorded requests, conditional GET.

    def test_x(feed_server):
        feed_server.serve("/rss", RSS_BYTES, etag='"v1"')
        result = await fetch_feed(feed_server.url("/rss"))
        assert feed_server.requests_to("/rss")[0].headers["User-Agent"].startswith("diemtin/")
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

MAX_SLEEP = 10.0  # no handler sleeps longer, so a forgotten slow route cannot stall a test run
RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One request the server received."""

    method: str
    path: str  # as sent, query string included
    headers: Message  # case-insensitive: headers["If-None-Match"] is None when absent


@dataclass
class Response:
    """What a route answers; an iterable body is sent chunked, one chunk at a time."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Handler = Callable[[Request], "Response | tuple[int, dict[str, str], bytes]"]


class FeedServer:
    """Threaded HTTP server with routes registered by path (query string ignored)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving, wake sleeping handlers and release the port."""
        self._stopping.set()
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        """Absolute http://127.0.0.1:PORT URL for a path."""
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        """Answer GETs of path with handler(request) -> Response or (status, headers, body)."""
        self._routes[path] = handler

    def serve(
        self, path: str, body: bytes | str, content_type: str = RSS_TYPE, *,
        etag: str | None = None, last_modified: str | None = None,
        headers: dict[str, str] | None = None, chunked: bool = False, chunk_size: int = 16384,
    ) -> None:
        """Serve a fixed body; answer 304 when the request's validators match etag/last_modified."""
        data = body.encode() if isinstance(body, str) else body
        extra = {"Content-Type": content_type, **(headers or {})}
        if etag:
            extra["ETag"] = etag
        if last_modified:
            extra["Last-Modified"] = last_modified

        def handler(req: Request) -> Response:
            if _not_modified(req, etag, last_modified):
                return Response(304, {k: v for k, v in extra.items() if k != "Content-Type"})
            if chunked:
                chunks = [data[i : i + chunk_size] for i in range(0, len(data), chunk_size)]
                return Response(200, extra, iter(chunks))
            return Response(200, extra, data)

        self.route(path, handler)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        """Redirect path to another path or absolute URL."""
        self.route(path, lambda req: Response(status, {"Location": to}))

    def fail(self, path: str, status: int = 500, body: bytes = b"server error") -> None:
        """Answer path with an error status."""
        self.route(path, lambda req: Response(status, {"Content-Type": "text/plain"}, body))

    def slow(
        self, path: str, seconds: float, body: bytes | str = b"", content_type: str = RSS_TYPE
    ) -> None:
        """Wait before sending anything (bounded by MAX_SLEEP and by shutdown)."""
        data = body.encode() if isinstance(body, str) else body

        def handler(req: Request) -> Response:
            self.sleep(seconds)
            return Response(200, {"Content-Type": content_type}, data)

        self.route(path, handler)

    def drip(self, path: str, body: bytes | str, chunk_size: int, interval: float) -> None:
        """Send the body chunked, chunk_size bytes every interval seconds."""
        data = body.encode() if isinstance(body, str) else body

        def chunks() -> Iterator[bytes]:
            for i in range(0, len(data), chunk_size):
                yield data[i : i + chunk_size]
                if self.sleep(interval):
                    return

        self.route(path, lambda req: Response(200, {"Content-Type": RSS_TYPE}, chunks()))

    def sleep(self, seconds: float) -> bool:
        """Sleep in a handler; returns True early when the server is shutting down."""
        return self._stopping.wait(min(seconds, MAX_SLEEP))

    def requests_to(self, path: str) -> list[Request]:
        """Recorded requests whose path (without query) is path."""
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    def hits(self, path: str) -> int:
        return len(self.requests_to(path))

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        req = Request(h.command, h.path, h.headers)
        with self._lock:
            self.requests.append(req)
        handler = self._routes.get(urlsplit(h.path).path)
        missing = Response(404, {"Content-Type": "text/plain"}, b"not found")
        resp = handler(req) if handler else missing
        if isinstance(resp, tuple):
            resp = Response(*resp)
        try:
            _send(h, resp)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout, size cap): expected in tests


def _send(h: BaseHTTPRequestHandler, resp: Response) -> None:
    h.close_connection = True  # one request per connection: no idle threads left at shutdown
    h.send_response(resp.status)
    for name, value in resp.headers.items():
        h.send_header(name, value)
    h.send_header("Connection", "close")
    if isinstance(resp.body, bytes | bytearray):
        lower = {k.lower() for k in resp.headers}
        if resp.status not in (204, 304) and "content-length" not in lower:
            h.send_header("Content-Length", str(len(resp.body)))
        h.end_headers()
        if h.command != "HEAD" and resp.status not in (204, 304):
            h.wfile.write(resp.body)
        return
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    if h.command == "HEAD":
        return
    for chunk in resp.body:
        if chunk:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.flush()
    h.wfile.write(b"0\r\n\r\n")


def _not_modified(req: Request, etag: str | None, last_modified: str | None) -> bool:
    sent_etags = req.headers["If-None-Match"]
    if sent_etags is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = [t.strip().removeprefix("W/") for t in sent_etags.split(",")]
        return bool(etag) and ("*" in tags or etag.removeprefix("W/") in tags)
    since = req.headers["If-Modified-Since"]
    if not since or not last_modified:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(last_modified)
    except (TypeError, ValueError):
        return False


def _handler_class(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # needed for chunked responses
        timeout = 5  # a client that connects and never sends a request cannot pin a thread

        def do_GET(self) -> None:
            server._handle(self)

        do_HEAD = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return _Handler


@pytest.fixture(name="feed_server")  # named, so an aliased import registers it too
def feed_server() -> Iterator[FeedServer]:
    """A running FeedServer on 127.0.0.1, shut down after the test."""
    with FeedServer() as server:
        yield server
