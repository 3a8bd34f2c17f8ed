"""提醒紀錄: every reminder the ledger holds, per window (scope) and stage: who, when, and what became of
the send (delivered, failed, waiting), or that it was skipped for the month's budget (LINE_MONTHLY_BUDGET).
People held back by quiet hours or LINE's remaining quota are not in the ledger yet: they are reminded by
a later sweep."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import snooze
from bot.domain.audience import Audience
from bot.infra.models import OutboxMessage, ReminderLedger, SchoolClass, Student, Teacher, Term, Window
from bot.infra.vocab import WINDOW_KIND_LABELS, PersonKind, WindowKind

RULE_LABELS = {
    **{k.value: label for k, label in WINDOW_KIND_LABELS.items()},
    "receipt_homeroom": "收訖明細確認（導師名單）",
    "pick_homeroom": "勾選（導師名單）",
    "certification_proxy": "課程學習成果認證（代理教師）",
    "certification_office": "課程學習成果認證（教學組）",
    "certification_closed": "認證截止未認證",
    "status_change": "認證結果通知",
    "quota_notice": "訊息額度通知",
}
STAGE_LABELS = {"opening": "開放", "last_day": "最後一天", "daily": "每日"}
STATUS_LABELS = {"sent": "已送達", "failed": "失敗", "pending": "等待中", "quota": "額度不足未送",
                 "budget": "本月預算不足，略過",
                 "refused": "未送（超過限制）", None: "已送出（明細已過保存期）"}
HEADER = ["時間", "提醒", "期程", "階段", "身分", "姓名", "班級", "狀態", "說明"]


def stage_label(stage: str) -> str:
    if snooze.is_again(stage):
        return f"{stage_label(snooze.base_stage(stage))}（延後再提醒）"
    if stage.startswith("before:"):
        return f"截止前 {stage.split(':')[1]} 天"
    if stage.startswith("escalate:"):
        return f"截止前 {stage.split(':')[1]} 天（加強）"
    return STAGE_LABELS.get(stage, stage)


@dataclass(frozen=True)
class Delivery:
    at: datetime
    rule: str
    scope: str
    stage: str
    person_kind: PersonKind
    name: str
    class_code: str
    status: str | None
    error: str | None

    def cells(self, windows: dict[str, str], tz) -> list[str]:
        return [self.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), RULE_LABELS.get(self.rule, self.rule),
                windows.get(self.scope, self.scope), stage_label(self.stage),
                "學生" if self.person_kind == PersonKind.student else "教師", self.name, self.class_code,
                STATUS_LABELS.get(self.status, self.status or ""), self.error or ""]


def window_labels(session: Session) -> dict[str, str]:
    """scope (window:ID) -> 「收訖明細確認 114-2 高二、高三」."""
    return {f"window:{w.id}": f"{WINDOW_KIND_LABELS[WindowKind(w.kind)]} {t.label} {Audience.from_db(w.audience).label}"
            for w, t in session.execute(select(Window, Term).join(Term, Window.term_id == Term.id))}


def scopes_reminded(session: Session) -> list[str]:
    """Every scope (window) the ledger holds reminders for: the page's filter."""
    return list(session.scalars(select(ReminderLedger.scope).distinct()))


def deliveries(session: Session, scope: str | None = None, limit: int = 5000) -> list[Delivery]:
    """Newest first; two queries (students, teachers) whatever the number of rows."""
    out: list[Delivery] = []
    for kind, model, name_col, class_col in (
            (PersonKind.student, Student, Student.name, SchoolClass.code),
            (PersonKind.teacher, Teacher, Teacher.name, None)):
        stmt = (select(ReminderLedger.created_at, ReminderLedger.rule, ReminderLedger.scope, ReminderLedger.stage,
                       name_col, class_col if class_col is not None else Teacher.teacher_no,
                       func.coalesce(ReminderLedger.skipped, OutboxMessage.status), OutboxMessage.last_error)
                .join(model, model.id == ReminderLedger.person_id)
                .outerjoin(OutboxMessage, OutboxMessage.id == ReminderLedger.outbox_id)
                .where(ReminderLedger.person_kind == kind))
        if kind == PersonKind.student:
            stmt = stmt.join(SchoolClass, Student.class_id == SchoolClass.id)
        if scope:
            stmt = stmt.where(ReminderLedger.scope == scope)
        stmt = stmt.order_by(ReminderLedger.created_at.desc(), ReminderLedger.id.desc()).limit(limit)
        for at, rule, sc, stage, name, where, status, error in session.execute(stmt):
            out.append(Delivery(at, rule, sc, stage, kind, name, where if kind == PersonKind.student else "",
                                status, error))
    out.sort(key=lambda d: d.at, reverse=True)
    return out[:limit]
