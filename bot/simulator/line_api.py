"""A local stand-in of LINE's Messaging API, speaking its HTTP protocol.

The demo points ``LINE_API_BASE`` at it so the real sender is exercised; the tests
serve it on a real port with a request validator (LINE's OpenAPI spec) and scripted
failures. It keeps what each user was sent, which is what the simulator page shows.
"""
from __future__ import annotations

import json
import socket
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from flask import Blueprint, Response, request

Validator = Callable[[str, str, dict | None], list[str]]  # (method, path, body) -> errors


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None
    status: int       # 0: the request was processed, then the connection dropped (no answer)


@dataclass
class Delivered:
    via: str          # reply | push | multicast
    messages: list[dict]
    at: str
    seq: int


@dataclass
class LineStandIn:
    validator: Validator | None = None
    monthly_limit: int | None = None   # None: unlimited ("none")
    used: int = 0
    basic_id: str = "@demo-bot"
    requests: list[Recorded] = field(default_factory=list)
    inbox: dict[str, list[Delivered]] = field(default_factory=lambda: defaultdict(list))
    _tokens: dict[str, str] = field(default_factory=dict)
    _retry_keys: dict[str, str] = field(default_factory=dict)
    _failures: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what tests and the simulator drive ---------------------------------
    def issue_reply_token(self, user_id: str) -> str:
        token = uuid.uuid4().hex
        with self._lock:
            self._tokens[token] = user_id
        return token

    def fail_next(self, endpoint: str, status: int, message: str = "error", times: int = 1,
                  exception: bool = False) -> None:
        """Make the next ``times`` calls to ``endpoint`` (e.g. "push") answer ``status``.

        With ``exception`` the connection is dropped instead (the client sees an error
        after LINE may or may not have acted): the call is processed, then the reply lost.
        """
        with self._lock:
            for _ in range(times):
                self._failures[endpoint].append((status, message, exception))

    def calls(self, endpoint: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.rsplit("/", 1)[-1] == endpoint]

    def sent_to(self, user_id: str) -> list[Delivered]:
        return list(self.inbox.get(user_id, []))

    def since(self, user_id: str, seq: int) -> list[Delivered]:
        return [d for d in self.inbox.get(user_id, []) if d.seq > seq]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.inbox.clear()
            self._tokens.clear()
            self._retry_keys.clear()
            self._failures.clear()
            self.used = 0

    # -- the HTTP side --------------------------------------------------------
    def _deliver(self, via: str, users: list[str], messages: list[dict]) -> None:
        at = datetime.now(timezone.utc).isoformat()
        for user in users:
            self._seq += 1
            self.inbox[user].append(Delivered(via, messages, at, self._seq))

    def blueprint(self, name: str = "line_api") -> Blueprint:
        bp = Blueprint(name, __name__)
        standin = self

        def answer(status: int, payload: dict, headers: dict | None = None) -> Response:
            body = json.loads(request.get_data() or b"null") if request.method == "POST" else None
            standin.requests.append(Recorded(request.method, request.path, dict(request.headers), body, status))
            response = Response(json.dumps(payload), status=status, mimetype="application/json")
            response.headers["x-line-request-id"] = uuid.uuid4().hex
            for key, value in (headers or {}).items():
                response.headers[key] = value
            return response

        def drop() -> Response:
            """Record the request, then cut the connection so the client gets no answer at all.

            Under werkzeug's server the socket is shut down (what is returned never arrives);
            elsewhere the error surfaces as a 500, the nearest a WSGI app can get.
            """
            body = json.loads(request.get_data() or b"null")
            standin.requests.append(Recorded(request.method, request.path, dict(request.headers), body, 0))
            sock = request.environ.get("werkzeug.socket")
            if sock is None:
                raise ConnectionAbortedError("stand-in dropped the connection")
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return Response(status=500)

        def check(endpoint: str) -> Response | None:
            if not request.headers.get("Authorization", "").startswith("Bearer "):
                return answer(401, {"message": "Authentication failed"})
            key = request.headers.get("X-Line-Retry-Key")
            if key is not None:
                try:
                    uuid.UUID(key)
                except ValueError:
                    return answer(400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"})
            body = json.loads(request.get_data() or b"null") if request.method == "POST" else None
            if standin.validator is not None:
                errors = standin.validator(request.method, "/v2/bot/" + request.path.split("/v2/bot/", 1)[1], body)
                if errors:
                    return answer(400, {"message": "The request body has 1 error(s)",
                                        "details": [{"message": e} for e in errors]})
            return None

        def scripted(endpoint: str) -> tuple[int, str, bool] | None:
            with standin._lock:
                queue = standin._failures.get(endpoint)
                return queue.popleft() if queue else None

        def counted(users: int, messages: int) -> Response | None:
            cost = users * messages
            if standin.monthly_limit is not None and standin.used + cost > standin.monthly_limit:
                return answer(429, {"message": "You have reached your monthly limit."})
            standin.used += cost
            return None

        def send(endpoint: str, via: str, users: list[str], messages: list[dict]) -> Response:
            key = request.headers.get("X-Line-Retry-Key")
            if key and key in standin._retry_keys:
                return answer(409, {"message": "The retry key is already accepted", "sentMessages": []},
                              {"x-line-accepted-request-id": standin._retry_keys[key]})
            failure = scripted(endpoint)
            if failure and not failure[2]:
                return answer(failure[0], {"message": failure[1]})
            over = counted(len(users), len(messages))
            if over is not None:
                return over
            request_id = uuid.uuid4().hex
            if key:
                standin._retry_keys[key] = request_id
            with standin._lock:
                standin._deliver(via, users, messages)
            if failure:  # processed, then the connection dropped
                return drop()
            return answer(200, {"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in messages]})

        @bp.post("/v2/bot/message/reply")
        def reply():
            bad = check("reply")
            if bad:
                return bad
            failure = scripted("reply")
            if failure and not failure[2]:
                return answer(failure[0], {"message": failure[1]})
            body = request.get_json()
            with standin._lock:
                user = standin._tokens.pop(body.get("replyToken", ""), None)
                if user is None:
                    return answer(400, {"message": "Invalid reply token"})
                standin._deliver("reply", [user], body["messages"])
            if failure:
                return drop()
            return answer(200, {"sentMessages": [{"id": uuid.uuid4().hex[:18]} for _ in body["messages"]]})

        @bp.post("/v2/bot/message/push")
        def push():
            bad = check("push")
            if bad:
                return bad
            body = request.get_json()
            return send("push", "push", [body["to"]], body["messages"])

        @bp.post("/v2/bot/message/multicast")
        def multicast():
            bad = check("multicast")
            if bad:
                return bad
            body = request.get_json()
            return send("multicast", "multicast", list(body["to"]), body["messages"])

        @bp.get("/v2/bot/message/quota")
        def quota():
            bad = check("quota")
            if bad:
                return bad
            if standin.monthly_limit is None:
                return answer(200, {"type": "none"})
            return answer(200, {"type": "limited", "value": standin.monthly_limit})

        @bp.get("/v2/bot/message/quota/consumption")
        def consumption():
            bad = check("consumption")
            if bad:
                return bad
            return answer(200, {"totalUsage": standin.used})

        @bp.get("/v2/bot/info")
        def info():
            bad = check("info")
            if bad:
                return bad
            return answer(200, {"userId": "Ubot", "basicId": standin.basic_id, "displayName": "學習歷程小幫手",
                                "chatMode": "bot", "markAsReadMode": "auto"})

        return bp
