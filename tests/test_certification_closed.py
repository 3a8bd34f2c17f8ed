"""Items still 待認證 when 認證 closes: the student is told once, the teacher's list drops them, 統計 counts them.

Seed (004, 勾選): 「每學年至多 勾選 6 件 ★ 需教師認證」 — an item not certified by the close cannot be picked;
seed (000): 「任課教師每學期應於本校規定時間內完成認證」 — after that time it is no longer the teacher's to do.
"""
from __future__ import annotations

import pytest

from bot.domain.queries.rates import rates
from bot.domain.queries.teacher import pending_for_teacher
from bot.infra.config import StageConfig
from bot.infra.models import Term
from bot.infra.vocab import WindowKind
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.reminder_factories import TZ, add_window, build_school, local


@pytest.fixture
def school(db):
    with db.session() as session:
        school = build_school(session)  # dan (102) has one item 待認證 in wang's 數學
        add_window(session, school, WindowKind.certification, "2026-11-01 00:00", "2026-11-13 00:00")
        return school


def test_the_student_is_told_once_after_the_close(services, line_api, db, school):
    run_sweep(services, now=local("2026-11-12 23:00"))
    assert "未完成認證" not in texts_of([m for d in line_api.sent_to(school.line("dan")) for m in d.messages])
    run_sweep(services, now=local("2026-11-13 08:05"))   # the first send time after the close
    told = texts_of([m for d in line_api.sent_to(school.line("dan")) for m in d.messages])
    assert "115-1 課程學習成果未完成認證" in told and "數學「dan的作品」" in told and "不能勾選提交" in told
    sent = len(line_api.sent_to(school.line("dan")))
    run_sweep(services, now=local("2026-11-14 08:05"))
    assert len(line_api.sent_to(school.line("dan"))) == sent            # once
    for name in ("amy", "ben", "cat"):                                   # nothing pending: nothing said
        assert "未完成認證" not in texts_of([m for d in line_api.sent_to(school.line(name)) for m in d.messages])


def test_the_teachers_list_drops_them_and_staff_rates_count_them(db, school):
    with db.session() as s:
        term = s.get(Term, school.term.id)
        before = pending_for_teacher(s, school.ids["wang"], local("2026-11-12 10:00"), StageConfig(), TZ)
        after = pending_for_teacher(s, school.ids["wang"], local("2026-11-13 10:00"), StageConfig(), TZ)
        assert before.total == 1 and after.total == 0
        open_rates = rates(s, term, local("2026-11-12 10:00"), TZ)
        closed_rates = rates(s, term, local("2026-11-13 10:00"), TZ)
    assert (open_rates.totals.pending, open_rates.totals.uncertified) == (1, 0)
    assert (closed_rates.totals.pending, closed_rates.totals.uncertified) == (0, 1)
    from messages.staff import totals_lines
    assert "逾期未認證 1 件" in totals_lines(closed_rates)[0]
