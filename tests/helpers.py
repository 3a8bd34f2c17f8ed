"""Helpers the tests share (plain functions and constants; fixtures live in conftest.py)."""
from __future__ import annotations

import socket
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
PUBLIC_URL = "http://localhost"  # the test client's own address: console links open in it
CONSOLE_SECRET = "test-console-secret-key-of-at-least-32-bytes"


def signed_post(client, events: list[dict]):
    """POST ``events`` to /callback as one body signed with the test channel's secret."""
    from bot.demo.simulator.events import callback_body
    from bot.web.webhook import signature_for

    body = callback_body(events)
    return client.post("/callback", data=body, headers={"X-Line-Signature": signature_for(SECRET, body),
                                                        "Content-Type": "application/json"})


def objects_in(node) -> Iterator[dict]:
    """Every JSON object inside ``node`` (messages, a bubble ...), in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from objects_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from objects_in(value)


def texts_of(messages: list[dict]) -> str:
    """All human-readable text in messages (text, altText and Flex text nodes), joined."""
    return "\n".join(obj[key] for obj in objects_in(messages) for key in ("text", "altText", "label")
                     if isinstance(obj.get(key), str))


def postbacks_of(messages: list[dict], prefix: str = "") -> list[str]:
    """The data of every postback action in messages (buttons, quick replies, templates), in order."""
    return [obj["data"] for obj in objects_in(messages)
            if obj.get("type") == "postback" and str(obj.get("data", "")).startswith(prefix)]


def quick_labels(message: dict) -> list[str]:
    """The labels of a message's quick-reply buttons, in order."""
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


def listening(backlog: int, on_connection: Callable[[socket.socket], object]) -> socket.socket:
    """A socket listening on a free loopback port; each connection it accepts goes to ``on_connection``
    (on the accepting thread) until the socket is closed. For stand-ins that misbehave on purpose."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            on_connection(conn)
    threading.Thread(target=accept, daemon=True).start()
    return sock


@contextmanager
def counting(db):
    """The SQL statements run while the block runs, on every pool of ``db`` (a ``Database``)."""
    statements: list[str] = []
    with db.watching(lambda conn, cursor, statement, *args: statements.append(statement)):
        yield statements
