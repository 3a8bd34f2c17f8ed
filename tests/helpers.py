"""Helpers the tests share (plain functions and constants; fixtures live in conftest.py)."""
from __future__ import annotations

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
PUBLIC_URL = "http://localhost"  # the test client's own address: console links open in it
CONSOLE_SECRET = "test-console-secret-key-of-at-least-32-bytes"


def texts_of(messages: list[dict]) -> str:
    """All human-readable text in messages (text, altText and Flex text nodes), joined."""
    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("text", "altText", "label"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    return "\n".join(out)


def postbacks_of(messages: list[dict], prefix: str = "") -> list[str]:
    """The data of every postback action in messages (buttons, quick replies, templates), in order."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "postback" and str(node.get("data", "")).startswith(prefix):
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(messages)
    return found
