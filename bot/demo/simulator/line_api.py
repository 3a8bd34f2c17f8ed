"""A local stand-in of LINE's Messaging API, speaking its HTTP protocol.

The demo points ``LINE_API_BASE`` at it so the real sender is exercised; the tests
serve it on a real port with a request validator (LINE's OpenAPI spec) and scripted
failures. It keeps what each user was sent, which is what the simulator page shows.
"""
from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from flask import Blueprint, Response, g, request

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
    # Rich menus: id -> definition, id -> (content type, image), user -> linked id, the default id.
    rich_menus: dict[str, dict] = field(default_factory=dict)
    rich_menu_images: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    rich_menu_links: dict[str, str] = field(default_factory=dict)
    default_rich_menu: str | None = None
    answer_delay: float = 0.0  # seconds each message-sending call takes (LINE is far away)

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
            self.answer_delay = 0.0
            self.rich_menus.clear()
            self.rich_menu_images.clear()
            self.rich_menu_links.clear()
            self.default_rich_menu = None

    # -- the HTTP side --------------------------------------------------------
    def _deliver(self, via: str, users: list[str], messages: list[dict]) -> None:
        at = datetime.now(timezone.utc).isoformat()
        for user in users:
            self._seq += 1
            self.inbox[user].append(Delivered(via, messages, at, self._seq))

    def blueprint(self, name: str = "line_api") -> Blueprint:
        bp = Blueprint(name, __name__)
        standin = self

        def posted() -> dict | list | None:
            """The request's body as JSON, parsed once however many steps read it (a Flex reply is KBs)."""
            if "standin_body" not in g:
                g.standin_body = json.loads(request.get_data() or b"null")
            return g.standin_body

        def json_body() -> dict:
            """What ``request.get_json()`` gives (and refuses) for a route, without parsing it again."""
            return posted() if request.is_json and request.get_data() else request.get_json()

        def answer(status: int, payload: dict, headers: dict | None = None) -> Response:
            body = posted() if request.method == "POST" else None
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
            body = posted()
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
            if standin.answer_delay:
                time.sleep(standin.answer_delay)
            if not request.headers.get("Authorization", "").startswith("Bearer "):
                return answer(401, {"message": "Authentication failed"})
            key = request.headers.get("X-Line-Retry-Key")
            if key is not None:
                try:
                    uuid.UUID(key)
                except ValueError:
                    return answer(400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"})
            body = posted() if request.method == "POST" else None
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
            body = json_body()
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
            body = json_body()
            return send("push", "push", [body["to"]], body["messages"])

        @bp.post("/v2/bot/message/multicast")
        def multicast():
            bad = check("multicast")
            if bad:
                return bad
            body = json_body()
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

        standin._rich_menu_routes(bp, answer, check)
        return bp

    # -- rich menus ---------------------------------------------------------------
    def _rich_menu_routes(self, bp: Blueprint, answer, check) -> None:
        """Create, upload an image (data API), list, delete, link/unlink, bulk link, default: the checks
        LINE makes that the bot could get wrong (sizes, image type/size/dimensions, image before linking)."""
        standin = self

        def unknown(rich_menu_id: str) -> Response | None:
            if rich_menu_id not in standin.rich_menus:
                return answer(404, {"message": "Not found"})
            return None

        def without_image(rich_menu_id: str) -> Response | None:
            if rich_menu_id not in standin.rich_menu_images:
                return answer(400, {"message": "must upload richmenu image before applying it to user"})
            return None

        @bp.post("/v2/bot/richmenu")
        def create_rich_menu():
            bad = check("richmenu")
            if bad:
                return bad
            body = request.get_json()
            problems = rich_menu_problems(body)
            if problems:
                return answer(400, {"message": "The request body has 1 error(s)",
                                    "details": [{"message": p} for p in problems]})
            rich_menu_id = "richmenu-" + uuid.uuid4().hex
            with standin._lock:
                standin.rich_menus[rich_menu_id] = body
            return answer(200, {"richMenuId": rich_menu_id})

        @bp.post("/v2/bot/richmenu/<rich_menu_id>/content")
        def upload_rich_menu_image(rich_menu_id: str):
            data = request.get_data()
            content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
            standin.requests.append(Recorded("POST", request.path, dict(request.headers), None, 0))
            record = standin.requests[-1]

            def reply(status: int, payload: dict) -> Response:
                record.status = status
                return Response(json.dumps(payload), status=status, mimetype="application/json")

            if not request.headers.get("Authorization", "").startswith("Bearer "):
                return reply(401, {"message": "Authentication failed"})
            if rich_menu_id not in standin.rich_menus:
                return reply(404, {"message": "Not found"})
            if rich_menu_id in standin.rich_menu_images:
                return reply(400, {"message": "An image has already been uploaded to the richmenu"})
            if content_type not in ("image/png", "image/jpeg"):
                return reply(415, {"message": f"unsupported content type {content_type!r}"})
            if len(data) > 1024 * 1024:
                return reply(413, {"message": "image over 1 MB"})
            size = image_size(data)
            wanted = standin.rich_menus[rich_menu_id]["size"]
            if size != (wanted["width"], wanted["height"]):
                return reply(400, {"message": f"image size {size} does not match the rich menu {wanted}"})
            with standin._lock:
                standin.rich_menu_images[rich_menu_id] = (content_type, data)
            return reply(200, {})

        @bp.get("/v2/bot/richmenu/list")
        def list_rich_menus():
            bad = check("list")
            if bad:
                return bad
            return answer(200, {"richmenus": [{"richMenuId": rid, "selected": False, **body}
                                              for rid, body in standin.rich_menus.items()]})

        @bp.delete("/v2/bot/richmenu/<rich_menu_id>")
        def delete_rich_menu(rich_menu_id: str):
            bad = check("richmenu") or unknown(rich_menu_id)
            if bad:
                return bad
            with standin._lock:
                standin.rich_menus.pop(rich_menu_id, None)
                standin.rich_menu_images.pop(rich_menu_id, None)
                for user in [u for u, r in standin.rich_menu_links.items() if r == rich_menu_id]:
                    del standin.rich_menu_links[user]
                if standin.default_rich_menu == rich_menu_id:
                    standin.default_rich_menu = None
            return answer(200, {})

        @bp.post("/v2/bot/user/all/richmenu/<rich_menu_id>")
        def set_default_rich_menu(rich_menu_id: str):
            bad = check("richmenu") or unknown(rich_menu_id) or without_image(rich_menu_id)
            if bad:
                return bad
            standin.default_rich_menu = rich_menu_id
            return answer(200, {})

        @bp.post("/v2/bot/user/<user_id>/richmenu/<rich_menu_id>")
        def link_rich_menu(user_id: str, rich_menu_id: str):
            bad = check("richmenu") or unknown(rich_menu_id) or without_image(rich_menu_id)
            if bad:
                return bad
            with standin._lock:
                standin.rich_menu_links[user_id] = rich_menu_id
            return answer(200, {})

        @bp.delete("/v2/bot/user/<user_id>/richmenu")
        def unlink_rich_menu(user_id: str):
            bad = check("richmenu")
            if bad:
                return bad
            with standin._lock:
                standin.rich_menu_links.pop(user_id, None)
            return answer(200, {})

        @bp.get("/v2/bot/user/<user_id>/richmenu")
        def rich_menu_of_user(user_id: str):
            bad = check("richmenu")
            if bad:
                return bad
            linked = standin.rich_menu_links.get(user_id)
            if linked is None:
                return answer(404, {"message": "the user has no richmenu"})
            return answer(200, {"richMenuId": linked})

        @bp.post("/v2/bot/richmenu/bulk/link")
        def bulk_link():
            bad = check("link")
            if bad:
                return bad
            body = request.get_json()
            bad = unknown(body["richMenuId"]) or without_image(body["richMenuId"])
            if bad:
                return bad
            with standin._lock:
                for user in body["userIds"]:
                    standin.rich_menu_links[user] = body["richMenuId"]
            return answer(202, {})


def rich_menu_problems(body: dict) -> list[str]:
    """What LINE refuses in a rich menu beyond the schema: size, chat bar text, areas out of bounds."""
    problems = []
    size = body.get("size") or {}
    width, height = size.get("width", 0), size.get("height", 0)
    if not (800 <= width <= 2500 and height >= 250 and width / max(height, 1) >= 1.45):
        problems.append(f"size {width}x{height}: width 800-2500, height >= 250, width/height >= 1.45")
    for key in ("size", "selected", "name", "chatBarText", "areas"):
        if key not in body:
            problems.append(f"{key} is required")
    areas = body.get("areas") or []
    if len(areas) > 20:
        problems.append("at most 20 areas")
    for index, area in enumerate(areas):
        b = area.get("bounds") or {}
        if b.get("x", 0) + b.get("width", 0) > width or b.get("y", 0) + b.get("height", 0) > height:
            problems.append(f"areas[{index}] lies outside the rich menu")
        if "action" not in area:
            problems.append(f"areas[{index}].action is required")
    return problems


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None when it is neither."""
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG"):
                return None
            return image.size
    except Exception:
        return None
