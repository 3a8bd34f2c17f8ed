"""The 學年度 and term follow the open window, not the calendar.

Seed (000, 「勾選」與「確認」): 「113年09月13日前 112學年度 學習歷程檔案資料勾選」 — in September the 勾選 is of
last school year's items; seed (000): 「學生送出課程學習成果(第一次期中評量首日起~休業式後14日止)」 — term 1's
upload runs past Feb 1, and until it closes term 1 is what students and 導師 see.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.queries.homeroom import UNPICKED, class_list
from bot.domain.queries.rates import rates
from bot.domain.queries.student import status_of
from bot.domain.queries.terms import current_term
from bot.infra.models import Course, Outcome, Performance, Term, Window
from bot.infra.vocab import OutcomeStatus, WindowKind
from tests import factories as f
from tests.helpers import texts_of

TZ = ZoneInfo("Asia/Taipei")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def school(db):
    """112-2 (last school year) and 113-1: amy picked one certified item of 112; ben picked nothing."""
    with db.session() as s:
        old, new = Term(year=112, semester=2), Term(year=113, semester=1)
        s.add_all([old, new])
        klass = f.school_class(s, "201")
        amy, ben = f.student(s, klass, name="AMY"), f.student(s, klass, name="BEN")
        teacher = f.teacher(s, name="王老師", homeroom=klass)
        f.bind(s, amy, f.line_user_id("amy"))
        f.bind(s, teacher, f.line_user_id("wang"))
        s.flush()
        course = Course(term_id=old.id, code="PHY", subject="物理", class_id=klass.id, teacher_id=teacher.id)
        s.add(course)
        s.flush()
        for who, picked in ((amy, True), (ben, False)):
            s.add(Outcome(outcome_no=f"O-{who.name}", student_id=who.id, course_id=course.id, title="報告",
                          status=OutcomeStatus.certified, picked=picked))
        s.add(Performance(performance_no="P-amy", student_id=amy.id, year=112, category="競賽", title="科展",
                          picked=True))
        s.add(Window(kind=WindowKind.pick, term_id=old.id, audience="全校",
                     starts_at=local("2024-09-02 08:00"), ends_at=local("2024-09-14 00:00")))
        s.add(Window(kind=WindowKind.outcome_upload, term_id=new.id, audience="全校",
                     starts_at=local("2024-10-01 08:00"), ends_at=local("2025-02-15 00:00")))
        return {"amy": amy.id, "ben": ben.id, "class": klass.id, "old": old.id, "new": new.id}


def test_in_september_picks_count_for_the_pick_windows_school_year(db, school, services, chat):
    now = local("2024-09-10 10:00")
    with db.session() as s:
        assert current_term(s, now, TZ).label == "113-1"                # the calendar's term...
        status = status_of(s, school["amy"], now, TZ)
        assert (status.pick_year, status.outcome_picks, status.performance_picks) == (112, 1, 1)  # ...112's picks
        unpicked = class_list(s, school["class"], UNPICKED, now, TZ)
        assert [r.name for r in unpicked.rows] == ["BEN"] and unpicked.term_label == "112-2"
        totals = rates(s, current_term(s, now, TZ), now, TZ).totals
        assert (totals.can_pick, totals.picked) == (2, 1)
    services.clock = lambda: now
    me = chat(f.line_user_id("amy"))
    assert "1/6 件" in texts_of(me.say("我的進度"))
    assert "【112 學年度勾選提交中央】" in texts_of(me.tap("a=st&v=picks"))
    assert "你：已勾選成果 1/6、表現 1/10" in texts_of(me.say("期限"))


def test_after_the_pick_window_the_terms_own_year_counts_again(db, school):
    now = local("2024-09-20 10:00")
    with db.session() as s:
        status = status_of(s, school["amy"], now, TZ)
        assert (status.pick_year, status.outcome_picks) == (113, 0)


def test_term_1_stays_current_in_february_while_its_upload_is_open(db, school):
    with db.session() as s:
        assert current_term(s, local("2025-02-05 10:00"), TZ).label == "113-1"   # upload open to 2/15
        s.add(Term(year=113, semester=2))
        s.flush()
        assert current_term(s, local("2025-02-05 10:00"), TZ).label == "113-1"   # even with 113-2 loaded
        assert current_term(s, local("2025-02-16 10:00"), TZ).label == "113-2"   # closed: the calendar's
        assert status_of(s, school["amy"], local("2025-02-05 10:00"), TZ).term_label == "113-1"
