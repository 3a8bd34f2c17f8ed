"""Conversation state: what a user is in the middle of (e.g. typing an objection's reason).

Kept in the Store (Redis when ``REDIS_URL`` is set, so every web process agrees) as a small
JSON object under ``conv:<LINE user id>``, expiring after ``TTL`` seconds of silence. It holds
what the user is doing, never who they are: identity always comes from the binding.
"""
from __future__ import annotations

import json
import logging

from bot.infra.store import Store

log = logging.getLogger(__name__)

TTL = 600  # ten minutes to finish what was started


def _key(user_id: str) -> str:
    return f"conv:{user_id}"


def start(store: Store, user_id: str, flow: str, ttl: int = TTL, **data: object) -> dict:
    """Begin (or replace) the user's conversation ``flow`` with ``data``; returns the state."""
    state = {"flow": flow, **data}
    store.set(_key(user_id), json.dumps(state, ensure_ascii=False), ttl)
    return state


def get(store: Store, user_id: str | None, flow: str | None = None) -> dict | None:
    """The user's live state (of ``flow``, if given), or None; unreadable state counts as none."""
    if not user_id:
        return None
    try:
        raw = store.get(_key(user_id))
    except Exception as exc:  # a store outage: nothing in progress, rather than no answer at all
        log.warning("conversation state unavailable (%s)", type(exc).__name__)
        return None
    if raw is None:
        return None
    try:
        state = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(state, dict) or (flow is not None and state.get("flow") != flow):
        return None
    return state


def clear(store: Store, user_id: str | None) -> None:
    if user_id:
        store.delete(_key(user_id))
