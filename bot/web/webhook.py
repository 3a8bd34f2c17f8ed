"""`POST /callback` (LINE's webhook) and `GET /healthz`.

Signature check, then durable intake (``bot.infra.intake``: the events are written to the
database, unique per ``webhookEventId``, before the 200), then hand-off to the dispatcher. A
well-signed body always gets 200 at once, whatever its events; Redis is not on this path, so
a Redis outage cannot block or double it. A signed body that is not usable JSON, and each
malformed event in it (``bot.web.events``), is logged and skipped; the other events of the body
are handled. If the database cannot take the events, the answer is 503 and LINE redelivers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from flask import Blueprint, abort, jsonify, request

from bot.infra import intake
from bot.web import services
from bot.web.events import problem

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

MAX_BODY = 1024 * 1024  # LINE's webhook bodies are a few KB; anything this big is not LINE


def signature_for(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def signature_ok(secret: str | None, body: bytes, signature: str | None) -> bool:
    if not secret or not signature:
        return False
    return hmac.compare_digest(signature_for(secret, body), signature)


@bp.post("/callback")
def callback():
    svc = services()
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413, "body too large")
    body = request.stream.read(MAX_BODY + 1)  # bounded even without a Content-Length
    if len(body) > MAX_BODY:
        abort(413, "body too large")
    if not signature_ok(svc.settings.channel_secret, body, request.headers.get("X-Line-Signature")):
        abort(400, "bad signature")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # signed, so LINE's (or our own test's): 200, nothing to redeliver
        log.warning("a signed webhook body that is not usable JSON was ignored (%d bytes)", len(body))
        return "OK"
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
        abort(503, "cannot store the events now")
    for row_id, event in accepted:
        svc.dispatcher.submit(event, row_id)
    if len(wanted) > room:
        svc.dispatcher.parked(len(wanted) - len(accepted))
    return "OK"


@bp.get("/healthz")
def healthz():
    svc = services()
    checks = {"database": svc.db.ping()}
    if svc.settings.redis_url:
        checks["redis"] = svc.store.ping()
    ok = all(checks.values())
    return jsonify(status="ok" if ok else "unavailable", **checks), 200 if ok else 503
