"""Follow and unfollow (block/unblock): the binding's blocked flag, and the greeting."""
from __future__ import annotations

from sqlalchemy import select

from bot.infra.models import LineBinding
from messages import texts
from tests import factories as f
from tests.helpers import texts_of

AMY = f.line_user_id("amy")


def blocked(db, user_id: str) -> bool:
    with db.session() as s:
        return s.scalars(select(LineBinding.blocked).where(
            LineBinding.line_user_id == user_id, LineBinding.unbound_at.is_(None))).one()


def test_unfollow_blocks_and_follow_unblocks_and_greets(chat, db, line_api):
    with db.session() as s:
        f.bind(s, f.student(s, "101", seat=5, name="王小明"), AMY)
    amy = chat(AMY)
    amy.unfollow()
    assert blocked(db, AMY) is True
    assert line_api.sent_to(AMY) == []  # nothing is sent to someone who blocked the bot
    answer = amy.follow()
    assert blocked(db, AMY) is False
    body = texts_of(answer)
    assert "王小明" in body and "歡迎回來" in body
    assert "我的進度" in [i["action"]["label"] for i in answer[0]["quickReply"]["items"]]


def test_unbound_follow_gets_binding_help(chat, db, line_api):
    stranger = chat(f.line_user_id("stranger"))
    answer = stranger.follow()
    assert texts.HOW_TO_BIND in texts_of(answer)
    stranger.unfollow()  # no binding to mark: still fine, and silent
    assert len(line_api.sent_to(stranger.user_id)) == 1
    with db.session() as s:
        assert s.scalars(select(LineBinding)).all() == []


def test_unfollow_of_an_unbound_earlier_binding_changes_nothing(chat, db):
    with db.session() as s:
        binding = f.bind(s, f.student(s, "101"), AMY)
        binding.unbound_at = binding.bound_at
    chat(AMY).unfollow()
    with db.session() as s:
        assert s.scalars(select(LineBinding.blocked)).one() is False
