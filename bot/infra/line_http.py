"""A JSON POST to LINE on a connection each thread keeps alive: the reply, which every answer in chat sends.

The SDK's pool (urllib3) costs about twice the request itself on the bot's CPU for a reply: the pool's
queue, its retry object, its response wrapper (bench/README.md, issue #12 item 12); ``http.client`` in
turn reads an answer's headers with the e-mail parser, a third of what a reply cost it. Here each
thread of the dispatcher keeps one socket to LINE's host, checks before reusing it that LINE has not
closed it meanwhile, writes the request in one piece and reads the answer as HTTP/1.1 says (a length,
chunks, or until LINE closes), and opens it apart from sending the request, so a connection that
could not be opened is told apart (``NotSent``: nothing reached LINE) from a failure after the
request went out (it may have landed).
"""
from __future__ import annotations

import http.client
import re
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024  # an answer's status line and headers (LINE's are under 1 KB)
MAX_BODY = 1024 * 1024  # an answer's body (LINE answers a reply with {} or an error of a few hundred bytes)
_DIGITS = re.compile(r"[0-9]+")  # ASCII digits only (str.isdigit takes ² too)
_HEX = re.compile(rb"[0-9A-Fa-f]+")  # a chunk's size (int(..., 16) takes -1, 0x10 and 1_0 too)


class LineProtocolError(http.client.HTTPException):
    """LINE's answer is not the HTTP/1.x this client reads (after the request went out: it may have landed)."""


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
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), default)


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


def _recv(sock: socket.socket, buffer: bytearray) -> None:
    chunk = sock.recv(65536)
    if not chunk:
        raise http.client.RemoteDisconnected("LINE closed the connection before its answer was complete")
    buffer += chunk
    if len(buffer) > MAX_HEAD + MAX_BODY:
        raise LineProtocolError("LINE's answer is larger than any it sends")


def _line(sock: socket.socket, buffer: bytearray, ending: bytes = b"\r\n") -> bytes:
    """The bytes before ``ending`` at the start of ``buffer`` (read as needed), taken out with it."""
    while (end := buffer.find(ending)) < 0:
        if len(buffer) > MAX_HEAD:
            raise LineProtocolError("a line of LINE's answer is too long")
        _recv(sock, buffer)
    found = bytes(buffer[:end])
    del buffer[:end + len(ending)]
    return found


def _exactly(sock: socket.socket, buffer: bytearray, size: int) -> bytes:
    while len(buffer) < size:
        _recv(sock, buffer)
    found = bytes(buffer[:size])
    del buffer[:size]
    return found


def _chunks(sock: socket.socket, buffer: bytearray) -> bytes:
    body = bytearray()
    while True:
        size_line = _line(sock, buffer).split(b";", 1)[0].strip()
        if not _HEX.fullmatch(size_line):
            raise LineProtocolError(f"not a chunk size: {size_line[:20]!r}")
        size = int(size_line, 16)
        if size == 0:
            while _line(sock, buffer):  # trailers, up to the empty line
                pass
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise LineProtocolError("LINE's answer is larger than any it sends")
        body += _exactly(sock, buffer, size)
        if _line(sock, buffer):
            raise LineProtocolError("a chunk is longer than its size")


def read_answer(sock: socket.socket) -> tuple[Answer, bool]:
    """Read one answer from ``sock``; and whether the connection may carry another request."""
    buffer = bytearray()
    while True:  # an interim (1xx) answer comes before the answer
        head = _line(sock, buffer, b"\r\n\r\n").decode("iso-8859-1").split("\r\n")
        version, _, rest = head[0].partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or not _DIGITS.fullmatch(code) or len(code) != 3:
            raise LineProtocolError(f"not an HTTP/1.x answer: {head[0][:40]!r}")
        headers: dict[str, str] = {}
        lower: dict[str, str] = {}
        for line in head[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise LineProtocolError(f"not a header line: {line[:40]!r}")
            headers[name] = lower[name.lower()] = value.strip()
        status = int(code)
        if not 100 <= status < 200:
            break
    keep = version == "HTTP/1.1" and lower.get("connection", "").lower() != "close"
    if status in (204, 304):
        data = b""
    elif lower.get("transfer-encoding", "").lower() == "chunked":
        data = _chunks(sock, buffer)
    elif "content-length" in lower:
        length = lower["content-length"]
        if not _DIGITS.fullmatch(length) or int(length) > MAX_BODY:
            raise LineProtocolError(f"not a usable Content-Length: {length[:20]!r}")
        data = _exactly(sock, buffer, int(length))
    else:  # the answer ends when LINE closes the connection
        while chunk := sock.recv(65536):
            buffer += chunk
            if len(buffer) > MAX_BODY:
                raise LineProtocolError("LINE's answer is larger than any it sends")
        data, keep = bytes(buffer), False
        buffer.clear()
    return Answer(status, reason.strip(), data, headers), keep and not buffer  # bytes past it: not reused


class LinePoster:
    """POSTs already-encoded JSON to one LINE host with fixed headers (the channel's token)."""

    def __init__(self, base_url: str, headers: dict[str, str], ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        for name, value in headers.items():
            if not name.isprintable() or ":" in name or not str(value).isprintable():
                raise ValueError(f"not a usable header: {name!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        default_port = 443 if self._https else 80
        self._address = (self._host, parts.port or default_port)
        named = f"[{self._host}]" if ":" in self._host else self._host
        host = named if parts.port in (None, default_port) else f"{named}:{parts.port}"
        self._prefix = parts.path.rstrip("/")
        self._head = f"Host: {host}\r\nAccept-Encoding: identity\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items())
        self._context = ssl_context if ssl_context is not None else (
            ssl.create_default_context() if self._https else None)
        self._local = threading.local()

    def post(self, path: str, body: bytes, timeout: float) -> Answer:
        """One POST; raises ``NotSent`` if no connection could be opened, and any other error after
        the request may have gone out (the connection is then dropped)."""
        if not path.startswith("/") or not path.isprintable() or " " in path:
            raise ValueError(f"not a usable path: {path!r}")
        sock = self._socket(timeout)
        request = (f"POST {self._prefix}{path} HTTP/1.1\r\n{self._head}Content-Length: {len(body)}\r\n\r\n"
                   .encode("iso-8859-1") + body)
        try:
            sock.sendall(request)
            answer, keep = read_answer(sock)
        except BaseException:
            self._drop(sock)
            raise
        if not keep:
            self._drop(sock)
        return answer

    def close(self) -> None:
        """Close this thread's connection (other threads' close when their thread ends)."""
        sock = getattr(self._local, "sock", None)
        if sock is not None:
            self._drop(sock)

    def _socket(self, timeout: float) -> socket.socket:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is not None and _closed_by_peer(sock):
            self._drop(sock)
            sock = None
        if sock is None:
            try:
                sock = socket.create_connection(self._address, timeout)
            except Exception as exc:  # refused, unreachable, name unknown, timed out: nothing sent
                raise NotSent(f"could not connect to {self._host}: {type(exc).__name__}") from exc
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if self._context is not None:
                    sock = self._context.wrap_socket(sock, server_hostname=self._host)
            except Exception as exc:  # TLS refused: nothing sent
                sock.close()
                raise NotSent(f"could not connect to {self._host}: {type(exc).__name__}") from exc
            self._local.sock = sock
        elif sock.gettimeout() != timeout:
            sock.settimeout(timeout)
        return sock

    def _drop(self, sock: socket.socket) -> None:
        try:
            sock.close()
        finally:
            if getattr(self._local, "sock", None) is sock:
                self._local.sock = None
