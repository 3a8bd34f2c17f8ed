"""The reply's connection to LINE (bot/infra/line_http.py), against a real HTTP server on loopback:
kept alive per thread, not reused once LINE closed it, and "not sent" told apart from "may have landed"."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.infra.line_http import LinePoster, NotSent


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
