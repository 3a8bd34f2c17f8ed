"""The local LINE simulator page (/simulator) and its JSON API. Local mode only.

A person is picked on the page; what they type or tap becomes a real webhook event,
signed with the app's channel secret and POSTed over HTTP to this server's /callback.
The bot answers through the real sender into the LINE stand-in, whose per-user inbox
is what the page shows (replies at once, pushes by polling).
"""
from __future__ import annotations

import base64
import urllib.error
import urllib.request
from dataclasses import asdict

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot.demo.school import GROUPS, HOMEROOM_TEACHERS, STAFF, STUDENTS, SUBJECT_TEACHERS, DemoPerson
from bot.demo.simulator.events import callback_body, follow_event, postback_event, text_event
from bot.demo.simulator.line_api import Delivered, LineStandIn
from bot.domain.people import HOMEROOM, STUDENT, load_person
from bot.domain.people import STAFF as STAFF_ROLE
from bot.infra.models import LineBinding
from bot.web import services
from bot.web.webhook import signature_for
from messages import texts

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates",
               static_folder="static", static_url_path="/static")

MAX_TEXT = 5000
MAX_DATA = 300
CALLBACK_TIMEOUT = 10.0


@bp.before_request
def local_mode_only():
    # The blueprint is only registered in local mode; this is the second lock on the door.
    if not services().settings.local_mode:
        abort(404)


def _standin() -> LineStandIn:
    return current_app.extensions["line_standin"]


def _error(message: str, status: int = 400):
    return jsonify(error=message), status


def _delivery(d: Delivered) -> dict:
    return {"seq": d.seq, "via": d.via, "at": d.at, "messages": d.messages}


def _deliveries(user_id: str, after: int) -> dict:
    found = _standin().since(user_id, after)
    return {"deliveries": [_delivery(d) for d in found], "last_seq": max([after, *[d.seq for d in found]])}


# -- who can be played --------------------------------------------------------
def _group_of(roles: frozenset[str]) -> str:
    if STUDENT in roles:
        return STUDENTS
    if STAFF_ROLE in roles:
        return STAFF
    return HOMEROOM_TEACHERS if HOMEROOM in roles else SUBJECT_TEACHERS


def _from_bindings() -> list[DemoPerson]:
    """Without a demo school: everyone bound in the database."""
    svc = services()
    people = []
    with svc.db.session() as session:
        for user_id in session.scalars(select(LineBinding.line_user_id).where(LineBinding.unbound_at.is_(None))):
            person = load_person(session, user_id)
            if person is not None:
                people.append(DemoPerson(user_id, _group_of(person.roles), person.name, person.class_code or "",
                                         person.kind, person.id))
    return people


def directory() -> list[dict]:
    """The people on the page, each with whether their LINE account is bound right now."""
    demo = current_app.extensions.get("demo_school")
    people = list(demo.people) if demo is not None else _from_bindings()
    svc = services()
    out = []
    with svc.db.session() as session:
        bound = set(session.scalars(select(LineBinding.line_user_id).where(LineBinding.unbound_at.is_(None))))
        for person in people:
            row = asdict(person)
            row["kind"] = str(person.kind) if person.kind else None
            row["bound"] = person.user_id in bound
            if row["bound"] and person.code:
                row["code"] = None  # used up
            if row["bound"] and person.person_id is None:
                current = load_person(session, person.user_id)
                row["detail"] = f"已綁定為 {current.name}" if current else person.detail
            out.append(row)
    return out


@bp.get("/")
def page():
    return render_template("simulator.html", bot_name=texts.BOT_NAME)


@bp.get("/platform")
def platform():
    """Where 「前往平臺認證」 leads in the demo: a stand-in for the school's 學習歷程檔案 platform."""
    return render_template("platform.html", bot_name=texts.BOT_NAME)


@bp.get("/api/people")
def api_people():
    settings = services().settings
    return jsonify(people=directory(), groups=list(GROUPS), bot_name=texts.BOT_NAME,
                   can_send=bool(settings.channel_secret), tz=settings.tz.key)


@bp.get("/api/messages")
def api_messages():
    user_id = request.args.get("user_id", "")
    if not user_id:
        return _error("缺少 user_id")
    try:
        after = int(request.args.get("after", "0"))
    except ValueError:
        return _error("after 必須是整數")
    return jsonify(_deliveries(user_id, after))


@bp.get("/api/richmenu")
def api_richmenu():
    """The rich menu LINE would show this person (theirs, else the default), as the stand-in holds it.

    ``have``: the id the page already shows; then the image is left out (it never changes for an id).
    """
    user_id, have = request.args.get("user_id", ""), request.args.get("have", "")
    standin = _standin()
    rich_menu_id = standin.rich_menu_links.get(user_id) or standin.default_rich_menu
    if rich_menu_id not in standin.rich_menus or rich_menu_id not in standin.rich_menu_images:
        return jsonify(rich_menu=None)
    body = standin.rich_menus[rich_menu_id]
    menu = {"id": rich_menu_id, "chatBarText": body.get("chatBarText", ""), "size": body["size"],
            "areas": body.get("areas", [])}
    if have != rich_menu_id:
        kind, image = standin.rich_menu_images[rich_menu_id]
        menu["image"] = f"data:{kind};base64,{base64.b64encode(image).decode('ascii')}"
    return jsonify(rich_menu=menu)


def _greet(user_id: str) -> None:
    """The first time a demo person's chat is opened, LINE would send a follow event (the person adds the
    bot): send one, signed, to /callback; the demo's greeting (``greeting``) is its reply."""
    demo = current_app.extensions.get("demo_school")
    greeted: set[str] = current_app.extensions.setdefault("simulator_greeted", set())
    if demo is None or demo.by_user(user_id) is None or user_id in greeted:
        return
    greeted.add(user_id)
    svc = services()
    if not svc.settings.channel_secret:
        return
    body = callback_body([follow_event(user_id, _standin().issue_reply_token(user_id))])
    if _post_to_callback(body, svc.settings.channel_secret) == 200:
        svc.dispatcher.drain()


@bp.post("/api/open")
def api_open():
    """The page opened a person's chat: greet them once, and return everything they were sent."""
    payload = request.get_json(silent=True) or {}
    user_id = payload.get("user_id") if isinstance(payload, dict) else None
    if not isinstance(user_id, str) or not user_id.startswith("U"):
        return _error("請先在左側選一位示範人物")
    _greet(user_id)
    return jsonify(_deliveries(user_id, 0))


def _post_to_callback(body: bytes, secret: str) -> int:
    url = request.host_url.rstrip("/") + "/callback"
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "X-Line-Signature": signature_for(secret, body),
        "User-Agent": "LineBotWebhook/2.0"})
    try:
        with urllib.request.urlopen(req, timeout=CALLBACK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@bp.post("/api/send")
def api_send():
    """Send what the person typed (``text``) or tapped (``data``) as a signed webhook."""
    svc = services()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _error("請送出 JSON")
    user_id, text, data = payload.get("user_id"), payload.get("text"), payload.get("data")
    if not isinstance(user_id, str) or not user_id.startswith("U"):
        return _error("請先在左側選一位示範人物")
    if (text is None) == (data is None):
        return _error("請給 text 或 data 其中之一")
    if text is not None and (not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT):
        return _error(f"文字必須是 1 到 {MAX_TEXT} 字")
    if data is not None and (not isinstance(data, str) or len(data) > MAX_DATA):
        return _error(f"postback 資料至多 {MAX_DATA} 字")
    try:
        after = int(payload.get("after", 0))
    except (TypeError, ValueError):
        return _error("after 必須是整數")
    if not svc.settings.channel_secret:
        return _error("沒有頻道密鑰，無法簽署 webhook；請用 portfolio-bot demo 啟動", 503)
    token = _standin().issue_reply_token(user_id)
    event = text_event(user_id, text, token) if text is not None else postback_event(user_id, data, token)
    params = payload.get("params")
    if data is not None and isinstance(params, dict):
        event["postback"]["params"] = {str(k): str(v) for k, v in params.items()}
    status = _post_to_callback(callback_body([event]), svc.settings.channel_secret)
    if status != 200:
        return _error(f"webhook 回應 {status}", 502)
    svc.dispatcher.drain()
    return jsonify(_deliveries(user_id, after))
