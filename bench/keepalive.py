"""A WSGI server for the benches' LINE stand-in that keeps connections alive, as LINE's API does.

werkzeug's development server closes every connection after one answer (since werkzeug 2.1).
Against it, a bot that keeps its connection to LINE open between replies (this bot's
``LinePoster``) opens a new one for every reply, which it does not against api.line.me. This
serves a WSGI app over HTTP/1.1 on a thread per connection (``http.server``), answers each
request in one write with a Content-Length, and leaves the connection open until the client
closes it. Request bodies must come with a Content-Length (both bots' clients send one).
It serves loopback benches only; it is not a production server.
"""
from __future__ import annotations

import io
import socket
import sys
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable
from urllib.parse import unquote

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    app: WSGIApp

    def setup(self) -> None:
        super().setup()
        with self.server.counting:
            self.server.connections += 1
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's name
        """Quiet: every request would be a line, which is not the bots' work."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ = {
            "REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query, "SERVER_NAME": host, "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(length),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        started: list = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Callable:
            started[:] = [status, headers]
            return chunks.append

        chunks: list[bytes] = []
        result = self.app(environ, start_response)
        try:
            chunks.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        payload = b"" if self.command == "HEAD" else b"".join(chunks)
        status, headers = started
        lines = [f"HTTP/1.1 {status}", f"Date: {formatdate(usegmt=True)}", f"Content-Length: {len(payload)}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() not in ("content-length", "connection")]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve


class KeepAliveServer:
    """A WSGI app on a free loopback port, HTTP/1.1 with keep-alive, a thread per connection."""

    def __init__(self, app: WSGIApp) -> None:
        handler = type("Handler", (_Handler,), {"app": staticmethod(app)})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.connections = 0  # accepted so far
        self.server.counting = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def connections(self) -> int:
        """How many connections clients have opened so far."""
        return self.server.connections

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
