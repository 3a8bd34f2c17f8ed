"""What `portfolio-bot remind` says when a sweep reaches nobody: why (no one is bound to LINE yet, no
window (期程) is open, an open window's first send time has not come, this stage was already sent,
everyone is done), then when the next reminder falls due, in the school's local time.

The next reminder is worked out from the windows and the stages the sweep's rules use (each window
kind's ``STAGES``, the 導師's daily 收訖明細 list, the notice after a 認證 window closes), moved past
QUIET_HOURS as the sweep moves them. Read-only, a few queries, run only when nobody was reached.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.domain.audience import Audience
from bot.domain.stages import (LAST_DAY, OPENING, Stage, daily_stage, in_quiet_hours, local_moment, opening_moment,
                               window_stages)
from bot.infra.models import LineBinding, Student, Teacher, Window
from bot.infra.vocab import WINDOW_KIND_LABELS, PersonKind, WindowKind
from messages.reminders import when
from scheduler.rules import (SweepContext, certification, certification_closed, collect, open_windows,
                             outcome_upload, performance_upload, pick, receipt)
from scheduler.rules.base import stage_due

WINDOW_STAGES: dict[WindowKind, tuple[str, ...]] = {  # as each kind's rule asks `stage_due`
    WindowKind.outcome_upload: outcome_upload.STAGES,
    WindowKind.certification: certification.STAGES,
    WindowKind.performance_upload: performance_upload.STAGES,
    WindowKind.pick: pick.STAGES,
    WindowKind.receipt: receipt.STAGES,
}
DAILY = "day"                      # the 導師's daily 收訖明細 list: stage ``day:YYYY-MM-DD``
CLOSED = certification_closed.STAGE
NOTICE_REACH = timedelta(days=1)   # a closed 認證 window's notice falls due within a day of the close

NOBODY = "沒有需要提醒的人：{why}。"
NOBODY_BOUND = "還沒有人綁定 LINE"
NO_PEOPLE_HINT = "請先用 portfolio-bot import 匯入學生與教師名冊，再用 portfolio-bot codes --out 綁定碼.csv 產生綁定碼。"
CODES_HINT = "請先執行 portfolio-bot codes --out 綁定碼.csv 產生綁定碼，發給學生與老師綁定。"
NO_WINDOW = "現在沒有開放中的期程"
NOT_YET = "開放中的期程還沒到提醒時間"
ALREADY_SENT = "這個階段的提醒都已送出（每人每個階段只提醒一次）"
ALL_DONE = "所有人都已完成，沒有需要提醒的人。"
UNBOUND_NOTE = "尚未綁定 LINE 的 {who}收不到提醒（portfolio-bot codes 可產生綁定碼）。"
NEXT = "下一次提醒：{at} {what}"
NO_NEXT = "之後沒有排定的提醒：請用 portfolio-bot import 匯入新的作業期程。"


@dataclass(frozen=True)
class NextReminder:
    """When the next reminder goes out (aware UTC) and what falls due then (zh-TW, one per window)."""

    at: datetime
    what: tuple[str, ...]

    def line(self, now: datetime, tz: ZoneInfo) -> str:
        local = self.at.astimezone(tz)
        year = f"{local.year}/" if local.year != now.astimezone(tz).year else ""
        return NEXT.format(at=year + when(self.at, tz), what="、".join(self.what))


def explain(session: Session, ctx: SweepContext, quiet: tuple[time, time]) -> list[str]:
    """Why a sweep as of ``ctx.now`` reaches nobody, and when the next reminder falls due. Empty when
    something is owed but held back for another reason (the month's budget, a snooze): the sweep's
    report says so itself."""
    why = reason(session, ctx)
    if why is None:
        return []
    following = next_reminder(session, ctx, quiet)
    return why + [following.line(ctx.now, ctx.tz) if following else NO_NEXT]


def reason(session: Session, ctx: SweepContext) -> list[str] | None:
    """The reason lines; None when items are owed that the sweep kept back for reasons of its own."""
    items = collect(session, ctx)
    if items:
        sent = ledger.held(session, {(i.rule, i.scope, i.stage) for i in items})
        return [NOBODY.format(why=ALREADY_SENT)] if all(i.key in sent for i in items) else None
    students, teachers = unbound_counts(session)
    if not bound_anyone(session):
        return [NOBODY.format(why=NOBODY_BOUND), CODES_HINT if students or teachers else NO_PEOPLE_HINT]
    windows = open_windows(session, ctx.now)
    if not windows:
        return [NOBODY.format(why=NO_WINDOW)]
    if not any(due_now(w, ctx) for w in windows):
        return [NOBODY.format(why=NOT_YET)]
    return [ALL_DONE] + ([unbound_note(students, teachers)] if students or teachers else [])


def bound_anyone(session: Session) -> bool:
    return session.scalar(select(func.count()).select_from(LineBinding).where(LineBinding.unbound_at.is_(None))) > 0


def unbound_counts(session: Session) -> tuple[int, int]:
    """Enrolled students and teachers with no LINE binding: (students, teachers)."""
    bound = select(LineBinding.person_id).where(LineBinding.unbound_at.is_(None))
    students = session.scalar(select(func.count()).select_from(Student).where(
        Student.enrolled, Student.id.not_in(bound.where(LineBinding.person_kind == PersonKind.student))))
    teachers = session.scalar(select(func.count()).select_from(Teacher).where(
        Teacher.id.not_in(bound.where(LineBinding.person_kind == PersonKind.teacher))))
    return students or 0, teachers or 0


def unbound_note(students: int, teachers: int) -> str:
    """``尚未綁定 LINE 的 3 位學生、1 位教師收不到提醒…``"""
    who = "、".join(f"{n} 位{kind}" for n, kind in ((students, "學生"), (teachers, "教師")) if n)
    return UNBOUND_NOTE.format(who=who)


def due_now(window: Window, ctx: SweepContext) -> bool:
    """Whether one of the window's stages (or, for 收訖明細, today's 導師 list) is due now."""
    if stage_due(window, ctx, WINDOW_STAGES[window.kind]) is not None:
        return True
    return window.kind == WindowKind.receipt and daily_stage(
        window.starts_at, window.ends_at, ctx.now, ctx.cfg, ctx.tz) is not None


def next_reminder(session: Session, ctx: SweepContext, quiet: tuple[time, time]) -> NextReminder | None:
    """The first moment after ``ctx.now`` a stage of some window falls due (past quiet hours), and
    every window's stage due then."""
    due: dict[datetime, list[str]] = {}
    windows = session.scalars(select(Window).where(Window.ends_at > ctx.now - NOTICE_REACH)
                              .order_by(Window.starts_at, Window.id))
    for window in windows:
        stages = upcoming(window, ctx)
        if not stages:
            continue
        first = min(stages, key=lambda s: s.at)
        due.setdefault(after_quiet(first.at, quiet, ctx.tz), []).append(describe(window, first.name))
    if not due:
        return None
    at = min(due)
    return NextReminder(at, tuple(dict.fromkeys(due[at])))


def upcoming(window: Window, ctx: SweepContext) -> list[Stage]:
    """The window's stages still to come after ``ctx.now``, as the sweep's rules will find them due."""
    found = [s for s in window_stages(window.starts_at, window.ends_at, ctx.cfg, ctx.tz, WINDOW_STAGES[window.kind])
             if s.at > ctx.now]
    if window.kind == WindowKind.receipt:
        found += [s for s in [next_daily(window, ctx)] if s is not None]
    if window.kind == WindowKind.certification:
        closed = opening_moment(window.ends_at, ctx.cfg, ctx.tz)
        if closed > ctx.now:
            found.append(Stage(CLOSED, closed))
    return found


def next_daily(window: Window, ctx: SweepContext) -> Stage | None:
    """The next morning's 導師 list of a 收訖明細 window (the first day's is its opening)."""
    day = max(window.starts_at, ctx.now).astimezone(ctx.tz).date()
    for _ in range(2):
        moment = max(window.starts_at, local_moment(day, ctx.cfg.send_time, ctx.tz))
        if moment > ctx.now:
            return Stage(f"{DAILY}:{day.isoformat()}", moment) if moment < window.ends_at else None
        day += timedelta(days=1)
    return None


def after_quiet(moment: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> datetime:
    """When a reminder due at ``moment`` goes out: at once, or at the end of QUIET_HOURS."""
    if not in_quiet_hours(moment, quiet, tz):
        return moment
    local = moment.astimezone(tz)
    end = datetime.combine(local.date(), quiet[1], tzinfo=tz)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(timezone.utc)


def describe(window: Window, stage: str) -> str:
    """``課程學習成果上傳 開始``, with the audience when it is not the whole school: ``勾選 最後一天（高三）``."""
    text = f"{WINDOW_KIND_LABELS[window.kind]} {stage_label(stage)}"
    try:
        audience = Audience.from_db(window.audience)
    except ValueError:
        return text
    return text if audience == Audience.whole_school() else f"{text}（{audience.label}）"


def stage_label(stage: str) -> str:
    """A stage as staff read it: 開始, 截止前 3 天, 最後一天, 導師每日名單…"""
    kind, _, days = stage.partition(":")
    if stage == OPENING:
        return "開始"
    if stage == LAST_DAY:
        return "最後一天"
    if kind == "before":
        return f"截止前 {days} 天"
    if kind == "escalate":
        return f"截止前 {days} 天（加強提醒）"
    if kind == DAILY:
        return "導師每日名單"
    if stage == CLOSED:
        return "截止，通知未獲認證的學生"
    return stage
