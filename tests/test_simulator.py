"""The simulator page's API in local mode, through the Flask test client.

The app is also served on a real port (the page POSTs each signed webhook over HTTP to
its own /callback, and the sender talks to the app's own /_line stand-in), so every
message here takes the real path: page API -> signed webhook -> dispatcher -> handler ->
sender -> stand-in (validating against messaging-api.yml) -> the page's inbox.
"""
from __future__ import annotations

import json

import os
import threading
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from bot import create_app
from bot.demo.school import STRANGERS, STUDENTS, seed_demo_school
from bot.infra.config import Settings
from bot.infra.models import LineBinding
from bot.infra.sender import Sender
from bot.infra.services import Services
from bot.web.webhook import signature_for
from tests import factories as f
from tests.helpers import SECRET, TOKEN, texts_of
from tests.openapi import messaging_validator

TZ = ZoneInfo("Asia/Taipei")
TODAY = date(2025, 10, 15)  # 114-1: windows around this day


class Recording:
    """A WSGI shim in front of the app that records what reached /callback (path, signature, body)."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        self.callbacks: list[tuple[str, bytes]] = []

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/callback":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            self.callbacks.append((environ.get("HTTP_X_LINE_SIGNATURE", ""), body))
            import io
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


@dataclass
class Local:
    app: Flask
    url: str
    recording: Recording
    services: Services
    demo: object = None
    _client: object = field(default=None, repr=False)

    @property
    def standin(self):
        return self.app.extensions["line_standin"]

    def get(self, path: str, **kw):
        return self._client.get(path, base_url=self.url, **kw)

    def post(self, path: str, payload, **kw):
        return self._client.post(path, json=payload, base_url=self.url, **kw)

    def people(self) -> list[dict]:
        response = self.get("/simulator/api/people")
        assert response.status_code == 200
        return response.get_json()["people"]

    def send(self, user_id: str, after: int = 0, **what) -> dict:
        response = self.post("/simulator/api/send", {"user_id": user_id, "after": after, **what})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def _local_app(db, store, secret: str | None, router=None) -> tuple[Flask, Services, Recording, object, str]:
    recording = Recording()
    server = make_server("127.0.0.1", 0, recording, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    settings = Settings(
        channel_secret=secret, channel_access_token=TOKEN, line_api_base=f"{url}/_line",
        database_url=db.engine.url.render_as_string(hide_password=False),
        redis_url=os.environ.get("REDIS_URL") or None, local_mode=True,
        sender_backoff=0.01, sender_attempts=2, sender_timeout=5,
    )
    svc = Services(settings=settings, db=db, store=store, sender=Sender(settings, db, store))
    app = create_app(services=svc, router=router)
    app.extensions["line_standin"].validator = messaging_validator()  # LINE's spec checks every body
    recording.app = app
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return app, svc, recording, server, url


@pytest.fixture
def bare(db, store):
    """Local mode (no secret from the environment) with the demo's ephemeral secret; an empty school."""
    app, svc, recording, server, url = _local_app(db, store, SECRET)
    yield Local(app, url, recording, svc, None, app.test_client())
    server.shutdown()
    server.server_close()
    svc.dispatcher.shutdown()
    svc.sender.close()


@pytest.fixture
def local(db, store):
    """The demo school, served as the demo serves it (its router greets a follow with the welcome card)."""
    from bot import chat_router
    from bot.demo.simulator.greeting import demo_router

    with db.session() as session:
        demo = seed_demo_school(session, TODAY, TZ)
    app, svc, recording, server, url = _local_app(db, store, SECRET, router=demo_router(demo, chat_router()))
    app.extensions["demo_school"] = demo
    yield Local(app, url, recording, svc, demo, app.test_client())
    server.shutdown()
    server.server_close()
    svc.dispatcher.shutdown()
    svc.sender.close()


def _bot_messages(deliveries: list[dict], via: str | None = None) -> list[dict]:
    return [m for d in deliveries if via is None or d["via"] == via for m in d["messages"]]


def _quick_labels(message: dict) -> list[str]:
    return [item["action"]["label"] for item in message.get("quickReply", {}).get("items", [])]


# -- the page and the people ---------------------------------------------------------------
def test_page_points_its_script_at_the_api(local):
    page = local.get("/simulator/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-api="/simulator/"' in html  # the script appends "api/people": no double prefix
    for asset in ("simulator.js", "flex.js", "simulator.css"):
        assert local.get(f"/simulator/static/{asset}").status_code == 200


def test_the_page_ships_every_emoji_the_bot_sends(local):
    """No emoji font on the machine: the page's own font draws them (not boxes)."""
    import io

    from fontTools.ttLib import TTFont

    from bot.infra.fonts import emoji_used

    css = local.get("/simulator/static/simulator.css").get_data(as_text=True)
    assert 'url("emoji.ttf")' in css and 'font-family: "Bot Emoji"' in css
    served = local.get("/simulator/static/emoji.ttf")
    assert served.status_code == 200
    cmap = TTFont(io.BytesIO(served.get_data())).getBestCmap()
    pictographs = [ch for ch in emoji_used() if ord(ch) >= 0x1F000]
    assert "🎉" in pictographs and "📊" in pictographs  # the scan finds what messages/ uses
    lacking = [ch for ch in pictographs if ord(ch) not in cmap]
    assert not lacking, f"remake the emoji font (python tools/subset_fonts.py): {lacking}"


def test_people_list_groups_bindings_and_the_code(local):
    people = local.people()
    assert [p["user_id"] for p in people] == [p.user_id for p in local.demo.people]
    holder = next(p for p in people if p["code"])
    assert holder["group"] == STUDENTS and holder["bound"] is False and holder["name"] == local.demo.unbound_student.name
    assert len(holder["code"]) == 8
    stranger = next(p for p in people if p["group"] == STRANGERS)
    assert stranger["bound"] is False and stranger["code"] is None
    others = [p for p in people if p is not holder and p is not stranger]
    assert others and all(p["bound"] and p["code"] is None for p in others)
    body = local.get("/simulator/api/people").get_json()
    assert body["can_send"] is True and body["groups"][0] == STUDENTS


def test_without_a_demo_school_the_bound_accounts_are_listed(db, store):
    app, svc, _, server, url = _local_app(db, store, SECRET)
    try:
        with db.session() as s:
            c101 = f.school_class(s, "101")
            f.bind(s, f.student(s, c101, seat=3, name="王小明"), f.line_user_id(1))
            f.bind(s, f.teacher(s, name="李老師", homeroom=c101), f.line_user_id(2))
            f.student(s, c101, seat=4, name="沒綁定")
        people = app.test_client().get("/simulator/api/people", base_url=url).get_json()["people"]
        assert {(p["name"], p["group"], p["detail"], p["bound"]) for p in people} == {
            ("王小明", "學生", "101", True), ("李老師", "導師", "101", True)}
    finally:
        server.shutdown()
        server.server_close()
        svc.dispatcher.shutdown()
        svc.sender.close()


# -- open, send, tap, pushes ------------------------------------------------------------------
def test_open_greets_once_with_the_welcome_card_and_the_menu(local):
    student = next(p for p in local.demo.people if p.group == STUDENTS and not p.code)
    first = local.post("/simulator/api/open", {"user_id": student.user_id}).get_json()
    # Opening a chat is adding the bot: a signed follow event, and the card is its reply (free, not a push).
    [(signature, body)] = local.recording.callbacks
    assert signature and json.loads(body)["events"][0]["type"] == "follow"
    welcome = [m for m in _bot_messages(first["deliveries"], "reply") if m["type"] == "flex"
               and student.name in m["altText"]]
    assert len(welcome) == 1 and not _bot_messages(first["deliveries"], "push")
    card = welcome[0]
    assert f"{student.name}，歡迎！" in texts_of([card]) and student.detail in texts_of([card])
    assert _quick_labels(card) == ["我的進度", "期限", "收訖明細", "設定", "說明"]
    buttons = [c["action"]["label"] for c in card["contents"]["footer"]["contents"]]
    assert buttons == ["我的進度", "期限", "收訖明細", "設定"]
    again = local.post("/simulator/api/open", {"user_id": student.user_id}).get_json()
    assert [d["seq"] for d in again["deliveries"]] == [d["seq"] for d in first["deliveries"]]
    assert again["last_seq"] == max(d["seq"] for d in first["deliveries"])


def test_the_welcome_card_suggests_only_what_a_handler_answers(local):
    from bot.demo.simulator.greeting import answered
    from bot.domain.people import load_person

    router, svc = local.services.dispatcher.router, local.services
    with local.services.db.session() as s:
        user_id = next(p for p in local.demo.people if p.group == STUDENTS and not p.code).user_id
        student = load_person(s, user_id)
        assert answered(router, svc, ["我的進度", "沒有這個指令", "待認證"], student, user_id) == ["我的進度"]  # 待認證: teachers
        assert answered(router, svc, ["綁定說明", "說明", "我的進度"], None, "U" + "0" * 32) == ["綁定說明", "說明"]


def test_send_text_posts_a_signed_webhook_and_shows_the_reply(local):
    student = next(p for p in local.demo.people if p.group == STUDENTS and not p.code)
    opened = local.post("/simulator/api/open", {"user_id": student.user_id}).get_json()
    answer = local.send(student.user_id, after=opened["last_seq"], text="說明")
    assert len(local.recording.callbacks) == 2  # the follow of opening the chat, then the text
    signature, body = local.recording.callbacks[1]
    assert signature == signature_for(SECRET, body)
    assert b'"text": "\\u8aaa\\u660e"' in body or "說明".encode() in body
    assert all(d["seq"] > opened["last_seq"] for d in answer["deliveries"])
    replies = _bot_messages(answer["deliveries"], "reply")
    assert replies and replies[0]["type"] == "text" and "常見問題" in replies[0]["text"]
    assert "說明" in _quick_labels(replies[-1])
    assert answer["last_seq"] == max(d["seq"] for d in answer["deliveries"])
    # the same reply is what the page's poll returns from the start
    polled = local.get(f"/simulator/api/messages?user_id={student.user_id}&after={opened['last_seq']}").get_json()
    assert polled["deliveries"] == answer["deliveries"]
    assert local.get(f"/simulator/api/messages?user_id={student.user_id}&after={answer['last_seq']}") \
        .get_json()["deliveries"] == []


def test_a_flex_reply_and_a_tapped_postback(local):
    student = next(p for p in local.demo.people if p.group == STUDENTS and not p.code)
    first = local.send(student.user_id, text="我的進度")
    progress = _bot_messages(first["deliveries"], "reply")
    assert len(progress) == 1 and progress[0]["type"] == "flex" and "我的進度" in texts_of(progress)
    second = local.send(student.user_id, after=first["last_seq"], text="解除綁定")
    asked = _bot_messages(second["deliveries"], "reply")
    assert len(asked) == 1 and asked[0]["type"] == "template"
    template = asked[0]["template"]
    assert template["type"] == "confirm"
    cancel = next(a for a in template["actions"] if a["type"] == "postback" and a["label"] == "取消")
    answer = _bot_messages(local.send(student.user_id, after=second["last_seq"], data=cancel["data"])["deliveries"],
                           "reply")
    assert answer and "取消" in texts_of(answer) and "綁定成功" not in texts_of(answer)
    with local.services.db.session() as s:  # still bound
        assert s.scalar(select(LineBinding).where(LineBinding.line_user_id == student.user_id,
                                                  LineBinding.unbound_at.is_(None))) is not None


def test_pushes_are_shown_by_polling(local):
    student = next(p for p in local.demo.people if p.group == STUDENTS and not p.code)
    last = local.post("/simulator/api/open", {"user_id": student.user_id}).get_json()["last_seq"]
    flex = {"type": "flex", "altText": "提醒", "contents": {"type": "bubble", "body": {
        "type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "推播測試"}]}}}
    local.services.sender.push(student.user_id, [flex], purpose="test")
    polled = local.get(f"/simulator/api/messages?user_id={student.user_id}&after={last}").get_json()
    assert [d["via"] for d in polled["deliveries"]] == ["push"]
    assert polled["deliveries"][0]["messages"] == [flex]


def test_binding_the_unbound_demo_student_by_the_code_on_the_page(local):
    holder = next(p for p in local.people() if p["code"])
    opened = local.post("/simulator/api/open", {"user_id": holder["user_id"]}).get_json()
    card = _bot_messages(opened["deliveries"])[-1]
    assert "尚未綁定" in texts_of([card]) and _quick_labels(card) == ["綁定說明", "說明"]
    answer = local.send(holder["user_id"], text=holder["code"].lower())  # case-insensitive
    reply = _bot_messages(answer["deliveries"], "reply")
    assert "綁定成功" in texts_of(reply) and holder["name"] in texts_of(reply)
    now = next(p for p in local.people() if p["user_id"] == holder["user_id"])
    assert now["bound"] is True and now["code"] is None
    again = _bot_messages(local.send(holder["user_id"], after=answer["last_seq"], text=holder["code"])["deliveries"],
                          "reply")
    assert "綁定成功" not in texts_of(again)  # used once


def test_the_stranger_only_gets_the_binding_help(local):
    stranger = next(p for p in local.demo.people if p.group == STRANGERS)
    reply = _bot_messages(local.send(stranger.user_id, text="我的進度")["deliveries"], "reply")
    assert "綁定" in texts_of(reply) and "📊" not in texts_of(reply)


@pytest.mark.parametrize("payload, status, words", [
    ({"text": "hi"}, 400, "示範人物"),
    ({"user_id": "nobody", "text": "hi"}, 400, "示範人物"),
    ({"user_id": "U" + "1" * 32}, 400, "text 或 data"),
    ({"user_id": "U" + "1" * 32, "text": "hi", "data": "a=1"}, 400, "text 或 data"),
    ({"user_id": "U" + "1" * 32, "text": "   "}, 400, "1 到 5000"),
    ({"user_id": "U" + "1" * 32, "text": "字" * 5001}, 400, "1 到 5000"),
    ({"user_id": "U" + "1" * 32, "data": "x" * 301}, 400, "300"),
    ({"user_id": "U" + "1" * 32, "text": "hi", "after": "x"}, 400, "after"),
    ([1, 2], 400, "JSON"),
])
def test_send_refuses_bad_input_with_a_reason(bare, payload, status, words):
    response = bare.post("/simulator/api/send", payload)
    assert response.status_code == status and words in response.get_json()["error"]
    assert bare.recording.callbacks == []


def test_messages_and_open_refuse_bad_input(bare):
    assert "user_id" in bare.get("/simulator/api/messages").get_json()["error"]
    assert bare.get("/simulator/api/messages?user_id=U1&after=x").status_code == 400
    assert bare.post("/simulator/api/open", {}).status_code == 400


def test_without_any_secret_the_page_says_it_cannot_send(db, store):
    app, svc, recording, server, url = _local_app(db, store, None)
    try:
        client = app.test_client()
        assert client.get("/simulator/api/people", base_url=url).get_json()["can_send"] is False
        response = client.post("/simulator/api/send", json={"user_id": "U" + "1" * 32, "text": "hi"}, base_url=url)
        assert response.status_code == 503 and "portfolio-bot demo" in response.get_json()["error"]
        assert recording.callbacks == []
    finally:
        server.shutdown()
        server.server_close()
        svc.dispatcher.shutdown()
        svc.sender.close()


# -- never in production ------------------------------------------------------------------------
PAGES = ["/simulator/", "/simulator/api/people", "/simulator/api/messages?user_id=U1",
         "/simulator/static/simulator.js", "/_line/v2/bot/info", "/_line/v2/bot/message/quota"]


@pytest.mark.parametrize("path", PAGES)
def test_nothing_local_is_mounted_with_a_channel_secret(client, path):
    """The suite's app has a channel secret (production settings): 404 everywhere local."""
    assert client.get(path).status_code == 404
    assert client.post("/simulator/api/send", json={"user_id": "U" + "1" * 32, "text": "hi"}).status_code == 404
    assert client.post("/_line/v2/bot/message/push", json={"to": "U1", "messages": []}).status_code == 404


def test_the_environment_decides(monkeypatch, tmp_path, migrated):
    """LINE_CHANNEL_SECRET in the environment: no simulator; without it: the simulator is served."""
    monkeypatch.setenv("DATABASE_URL", migrated)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "production-secret")
    production = create_app()
    try:
        assert not production.extensions["portfolio"].settings.local_mode
        for path in PAGES:
            assert production.test_client().get(path).status_code == 404, path
    finally:
        production.extensions["portfolio"].close()
    monkeypatch.delenv("LINE_CHANNEL_SECRET")
    local = create_app()
    try:
        assert local.test_client().get("/simulator/").status_code == 200
        assert local.test_client().get("/_line/v2/bot/info", headers={"Authorization": "Bearer x"}).status_code == 200
    finally:
        local.extensions["portfolio"].close()
