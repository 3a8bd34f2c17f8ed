"""`POST /callback` (LINE's webhook) and `GET /healthz`.

Signature check, then de-duplication on ``webhookEventId``, then hand-off to the
dispatcher; a well-signed body always gets 200 at once, whatever its events (even when
the de-duplication store is down: the events are then handled without it).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from flask import Blueprint, abort, jsonify, request

from bot.web import services

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

DEDUP_TTL = 7 * 24 * 3600  # LINE redelivers for a while; a week is plenty
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
    except ValueError:
        abort(400, "body is not JSON")
    events = payload.get("events") if isinstance(payload, dict) else None
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        event_id = event.get("webhookEventId")
        if event_id and not first_delivery(svc.store, str(event_id)):
            continue
        svc.dispatcher.submit(event)
    return "OK"


def first_delivery(store, event_id: str) -> bool:
    """True unless this event id was seen before. If the store is down (Redis outage), the
    event is handled anyway: answering a rare redelivery twice beats a bot that is silent."""
    try:
        return store.add_once(f"webhook:{event_id}", DEDUP_TTL)
    except Exception as exc:
        log.warning("de-duplication store failed (%s); handling the event anyway", type(exc).__name__)
        return True


@bp.get("/healthz")
def healthz():
    svc = services()
    checks = {"database": svc.db.ping()}
    if svc.settings.redis_url:
        checks["redis"] = svc.store.ping()
    ok = all(checks.values())
    return jsonify(status="ok" if ok else "unavailable", **checks), 200 if ok else 503
