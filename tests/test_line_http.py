"""The reply's connection to LINE (bot/infra/line_http.py), against a real HTTP server on loopback:
kept alive per thread, not reused once LINE closed it, and "not sent" told apart from "may have landed"."""
from __future__ import annotations

import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.infra.line_http import LinePoster, NotSent
from tests.helpers import listening


class Line(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        self.bodies: list[bytes] = []
        self.close_after_answer = False  # LINE closes the connection once it has answered (idle timeout)
        self.status = 200
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request, client_address):
        self.connections += 1
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Line

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        body = b"{}" if self.server.status == 200 else b'{"message":"Invalid reply token"}'
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if self.server.close_after_answer:
            self.close_connection = True  # closes without saying so, as an idle timeout would


@pytest.fixture
def line():
    server = Line()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def poster(line: Line) -> LinePoster:
    return LinePoster(f"http://127.0.0.1:{line.server_port}/base", {"Authorization": "Bearer t"})


def test_one_connection_per_thread_is_kept_alive(line):
    post = poster(line)
    for n in range(3):
        answer = post.post("/v2/bot/message/reply", b'{"n":%d}' % n, timeout=5)
        assert answer.status == 200 and answer.data == b"{}"
    assert line.connections == 1
    other = threading.Thread(target=post.post, args=("/v2/bot/message/reply", b"{}", 5))
    other.start()
    other.join()
    assert line.connections == 2
    assert len(line.bodies) == 4


def test_a_connection_line_closed_is_not_reused(line):
    post = poster(line)
    line.close_after_answer = True
    for _ in range(3):
        assert post.post("/v2/bot/message/reply", b"{}", timeout=5).status == 200
        threading.Event().wait(0.05)  # the close reaches this side
    assert line.connections == 3 and len(line.bodies) == 3


def test_an_error_answer_comes_back_with_its_status_and_body(line):
    line.status = 400
    answer = poster(line).post("/v2/bot/message/reply", b"{}", timeout=5)
    assert answer.status == 400 and b"Invalid reply token" in answer.data
    assert answer.getheader("Content-Type") == "application/json"


def test_a_refused_connection_is_not_sent():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(NotSent):
            LinePoster(f"http://127.0.0.1:{port}", {}).post("/v2/bot/message/reply", b"{}", timeout=2)


def test_no_answer_after_the_request_went_out_is_not_called_not_sent():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)  # accepts (the kernel does) and never answers
        with pytest.raises(TimeoutError) as info:
            LinePoster(f"http://127.0.0.1:{sock.getsockname()[1]}", {}).post("/x", b"{}", timeout=0.3)
        assert not isinstance(info.value, NotSent)


def test_only_http_and_https_bases_are_taken():
    with pytest.raises(ValueError):
        LinePoster("ftp://api.line.me", {})


class Scripted:
    """A server on loopback that answers each request with the next of ``answers`` (raw bytes, as sent),
    closing the connection after an answer when told; it keeps each request as it came."""

    def __init__(self, answers: list[bytes], close_after: bool = False) -> None:
        self.answers, self.close_after = list(answers), close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = listening(8, self._accepted)
        self.port = self.sock.getsockname()[1]

    def _accepted(self, conn: socket.socket) -> None:
        self.connections += 1
        threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while self.answers:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                conn.sendall(self.answers.pop(0))
                if self.close_after:
                    return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def scripted():
    servers: list[Scripted] = []

    def make(*answers: bytes, close_after: bool = False) -> LinePoster:
        servers.append(Scripted(list(answers), close_after))
        return LinePoster(f"http://127.0.0.1:{servers[-1].port}/base", {"Authorization": "Bearer t"})
    make.servers = servers
    yield make
    for server in servers:
        server.close()


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def test_the_request_is_what_line_reads(scripted):
    post = scripted(OK)
    assert post.post("/v2/bot/message/reply", '{"t":"你好"}'.encode(), timeout=5).status == 200
    request = scripted.servers[0].requests[0]
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /base/v2/bot/message/reply HTTP/1.1"
    assert {"Host: 127.0.0.1:%d" % scripted.servers[0].port, "Authorization: Bearer t",
            "Content-Length: %d" % len(body)} <= set(lines[1:])
    assert body.decode() == '{"t":"你好"}'


def test_answers_in_chunks_after_an_interim_answer_and_without_a_length_are_read_whole(scripted):
    chunked = (b"HTTP/1.1 100 Continue\r\n\r\n"
               b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\ncontent-type: application/json\r\n\r\n"
               b"5;x=1\r\n{\"mes\r\n8\r\nsage\":1}\r\n0\r\nX-Trailer: 1\r\n\r\n")
    post = scripted(chunked, OK)
    answer = post.post("/x", b"{}", timeout=5)
    assert (answer.status, answer.reason, answer.data) == (400, "Bad Request", b'{"message":1}')
    assert answer.getheader("Content-Type") == "application/json"  # names in any case
    assert post.post("/x", b"{}", timeout=5).data == b"{}"
    assert scripted.servers[0].connections == 1  # kept alive after the chunks
    until_closed = scripted(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}", close_after=True)
    assert until_closed.post("/x", b"{}", timeout=5).data == b'{"a":1}'


def test_a_connection_line_says_it_closes_or_that_holds_more_is_not_reused(scripted):
    post = scripted(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", OK,
                    OK + b"HTTP/1.1 200 OK\r\n", OK)
    for _ in range(4):
        assert post.post("/x", b"{}", timeout=5).status == 200
    assert scripted.servers[0].connections == 3  # a new one after "close", and after the stray bytes


@pytest.mark.parametrize("answer", [
    b"SSH-2.0-OpenSSH\r\n\r\n",
    b"HTTP/1.1 2000 OK\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 2\xb20 OK\r\n\r\n",  # a digit to str.isdigit, not to int
    b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",  # then closed: short
])
def test_an_answer_that_is_not_http_is_an_error_after_sending_never_not_sent(scripted, answer):
    post = scripted(answer, close_after=True)
    with pytest.raises(Exception) as info:
        post.post("/x", b"{}", timeout=2)
    assert isinstance(info.value, (http.client.HTTPException, ConnectionError)), info.value
    assert not isinstance(info.value, NotSent)
    assert len(scripted.servers[0].requests) == 1  # it was sent


def test_a_header_that_would_split_the_request_is_refused():
    for headers in ({"Authorization": "Bearer t\r\nX-Evil: 1"}, {"X\r\nY": "1"}):
        with pytest.raises(ValueError):
            LinePoster("http://127.0.0.1:9", headers)
    with pytest.raises(ValueError):
        LinePoster("http://127.0.0.1:9", {}).post("/x HTTP/1.1\r\nX: 1", b"{}", timeout=1)
