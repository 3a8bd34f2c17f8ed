"""`POST /callback` (LINE's webhook) and `GET /healthz`.

Signature check, then durable intake (``bot.infra.intake``: the events are written to the
database, unique per ``webhookEventId``, before the 200), then hand-off to the dispatcher. A
well-signed body always gets 200 at once, whatever its events; Redis is not on this path, so
a Redis outage cannot block or double it. A signed body that is not usable JSON, and each
malformed event in it (``bot.web.events``), is logged and skipped; the other events of the body
are handled. If the database cannot take the events, the answer is 503 and LINE redelivers.

``/callback`` is a plain WSGI app mounted ahead of Flask (``mount``): it is the one path LINE
calls for every message, and Flask's request and response objects cost more than its own work
(bench/README.md, issue #12 item 12). Every other path goes on to Flask.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import TYPE_CHECKING, Callable, Iterable

from flask import Blueprint, Flask, jsonify
from werkzeug.wsgi import get_input_stream

from bot.infra import intake
from bot.web import services
from bot.web.events import problem

if TYPE_CHECKING:
    from bot.infra.services import Services

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

PATH = "/callback"
MAX_BODY = 1024 * 1024  # LINE's webhook bodies are a few KB; anything this big is not LINE
_REASONS = {200: "OK", 400: "Bad Request", 405: "Method Not Allowed", 413: "Content Too Large",
            503: "Service Unavailable"}


def signature_for(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def signature_ok(secret: str | None, body: bytes, signature: str | None) -> bool:
    if not secret or not signature:
        return False
    return hmac.compare_digest(signature_for(secret, body), signature)


def callback(svc: "Services", environ: dict) -> tuple[int, str]:
    """One webhook request: (status, text of the answer)."""
    length = environ.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > MAX_BODY:
        return 413, "body too large"
    body = get_input_stream(environ).read(MAX_BODY + 1)  # bounded even without a Content-Length
    if len(body) > MAX_BODY:
        return 413, "body too large"
    if not signature_ok(svc.settings.channel_secret, body, environ.get("HTTP_X_LINE_SIGNATURE")):
        return 400, "bad signature"
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # signed, so LINE's (or our own test's): 200, nothing to redeliver
        log.warning("a signed webhook body that is not usable JSON was ignored (%d bytes)", len(body))
        return 200, "OK"
    events = payload.get("events") if isinstance(payload, dict) else None
    wanted: list[dict] = []
    for event in events if isinstance(events, list) else []:
        why = problem(event)
        if why is not None:  # skip this one; the body's other events are still handled
            log.warning("a malformed webhook event was skipped (%s; type %r)", why,
                        event.get("type") if isinstance(event, dict) and isinstance(event.get("type"), str) else None)
            continue
        wanted.append(event)
    room = svc.dispatcher.room()  # past it, events are stored parked (bot/web/dispatch.py)
    try:
        accepted = intake.accept(svc.db, wanted, svc.clock(), claim=room)
    except Exception as exc:  # not durable, so not accepted: LINE redelivers what did not get 2xx
        log.error("webhook events could not be stored (%s); answering 503", type(exc).__name__)
        return 503, "cannot store the events now"
    for row_id, event in accepted:
        svc.dispatcher.submit(event, row_id)
    if len(wanted) > room:
        svc.dispatcher.parked(len(wanted) - len(accepted))
    return 200, "OK"


def mount(app: Flask, svc: "Services") -> None:
    """Serve ``POST /callback`` ahead of the Flask app (which keeps every other path)."""
    flask_app: Callable = app.wsgi_app

    def wsgi(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH:
            return flask_app(environ, start_response)
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        if environ.get("REQUEST_METHOD") != "POST":
            status, text = 405, "method not allowed"
            headers.append(("Allow", "POST"))
        else:
            status, text = callback(svc, environ)
        answer = text.encode("utf-8")
        headers.append(("Content-Length", str(len(answer))))
        start_response(f"{status} {_REASONS[status]}", headers)
        return [answer]

    app.wsgi_app = wsgi  # type: ignore[method-assign]


@bp.get("/healthz")
def healthz():
    svc = services()
    checks = {"database": svc.db.ping()}
    if svc.settings.redis_url:
        checks["redis"] = svc.store.ping()
    ok = all(checks.values())
    return jsonify(status="ok" if ok else "unavailable", **checks), 200 if ok else 503
