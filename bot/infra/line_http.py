"""A JSON POST to LINE on a connection each thread keeps alive: the reply, which every answer in chat sends.

The SDK's pool (urllib3) costs about twice the request itself on the bot's CPU for a reply: the pool's
queue, its retry object, its response wrapper (bench/README.md, issue #12 item 12). Here each thread
of the dispatcher keeps one ``http.client`` connection to LINE's host, checks before reusing it that
LINE has not closed it meanwhile, and opens it apart from sending the request, so a connection that
could not be opened is told apart (``NotSent``: nothing reached LINE) from a failure after the
request went out (it may have landed).
"""
from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit


class NotSent(ConnectionError):
    """The connection to LINE could not be opened (refused, unreachable, timed out): nothing was sent."""


@dataclass(frozen=True)
class Answer:
    """LINE's answer, with what the SDK's ``ApiException(http_resp=...)`` reads from a response."""

    status: int
    reason: str
    data: bytes
    headers: dict[str, str]

    def getheaders(self) -> dict[str, str]:
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle kept-alive socket that is readable has been closed by the other side (or holds
    bytes nobody asked for): either way it is not reused. ``poll`` where there is one (no limit on
    the descriptor's number, unlike ``select``)."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


class LinePoster:
    """POSTs already-encoded JSON to one LINE host with fixed headers (the channel's token)."""

    def __init__(self, base_url: str, headers: dict[str, str], ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = headers
        self._context = ssl_context if ssl_context is not None else (
            ssl.create_default_context() if self._https else None)
        self._local = threading.local()

    def post(self, path: str, body: bytes, timeout: float) -> Answer:
        """One POST; raises ``NotSent`` if no connection could be opened, and any other error after
        the request may have gone out (the connection is then dropped)."""
        conn = self._connection(timeout)
        try:
            conn.request("POST", self._prefix + path, body=body, headers=self._headers)
            response = conn.getresponse()
            data = response.read()
        except BaseException:
            self._drop(conn)
            raise
        if response.will_close:
            self._drop(conn)
        return Answer(response.status, response.reason, data, dict(response.getheaders()))

    def close(self) -> None:
        """Close this thread's connection (other threads' close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._drop(conn)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None and (conn.sock is None or _closed_by_peer(conn.sock)):
            self._drop(conn)
            conn = None
        if conn is None:
            if self._https:
                conn = http.client.HTTPSConnection(self._host, self._port, timeout=timeout, context=self._context)
            else:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
            try:
                conn.connect()
            except Exception as exc:  # refused, unreachable, name unknown, TLS refused, timed out: nothing sent
                conn.close()
                raise NotSent(f"could not connect to {self._host}: {type(exc).__name__}") from exc
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn = conn
        elif conn.sock.gettimeout() != timeout:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None
