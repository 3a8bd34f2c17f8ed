"""疑義: the open objections of the signed-in office (管理者: all), oldest first, with the date the school
must answer by; resolving one records who did it and tells the student by LINE (one push)."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from bot.console.blueprint import bp, now, record, services
from bot.domain import objections
from bot.infra.vocab import DUTY_LABELS, RECEIPT_ITEM_LABELS
from messages import receipts as msg

RESOLUTION_TEXT = {
    objections.Resolution.not_found: "找不到這筆疑義。",
    objections.Resolution.already: "這筆疑義已經處理過了，沒有再次通知學生。",
    objections.Resolution.empty: "處理結果不可空白，沒有送出。",
    objections.Resolution.too_long: f"處理結果最多 {objections.MAX_RESOLUTION} 字，沒有送出。",
}


def _mine(row: objections.ObjectionRow) -> bool:
    """The signed-in office answers this item (管理者 sees every item)."""
    return g.staff.admin or services().settings.school.office(row.item) in g.staff.duties


@bp.get("/objections")
def objection_list():
    settings, moment = services().settings, now()
    show_resolved = request.args.get("all") == "1"
    with services().db.session() as s:
        rows = [r for r in objections.listing(s, include_resolved=show_resolved) if _mine(r)]
    rows.sort(key=lambda r: (r.resolved_at is not None, r.created_at))
    days = settings.objection_answer_days
    shown = [(r, objections.answer_by(r.created_at, days, settings.tz),
              objections.overdue(r, days, moment, settings.tz), RECEIPT_ITEM_LABELS[r.item],
              DUTY_LABELS[settings.school.office(r.item)]) for r in rows]
    return render_template("console/objections.html", rows=shown, show_resolved=show_resolved, days=days,
                           max_resolution=objections.MAX_RESOLUTION)


@bp.post("/objections/<int:objection_id>/resolve")
def objection_resolve(objection_id: int):
    svc, moment = services(), now()
    settings = svc.settings
    with svc.db.session() as s:
        row = objections.one(s, objection_id)
        if row is None or not _mine(row):
            abort(404)
        outcome, user = objections.resolve(s, objection_id, request.form.get("text", ""), g.staff.signature, moment)
        if outcome == objections.Resolution.resolved:
            record(s, "resolve", f"疑義 #{objection_id}（{row.class_code} 班 {row.seat} 號 {row.student_name}，"
                                 f"{row.term_label} {RECEIPT_ITEM_LABELS[row.item]}）")
        row = objections.one(s, objection_id)
    if outcome != objections.Resolution.resolved:
        flash(RESOLUTION_TEXT[outcome], "error")
        return redirect(url_for("console.objection_list"))
    sent = objections.tell_student(svc.sender, user, [msg.resolution_notice(row, settings.tz, settings.school)])
    if sent is None:
        flash(f"疑義 #{objection_id} 已處理。學生沒有綁定 LINE（或已封鎖），沒有傳送通知，請另行告知。", "ok")
    elif sent.ok:
        flash(f"疑義 #{objection_id} 已處理，已用 LINE 通知學生。", "ok")
    else:
        flash(f"疑義 #{objection_id} 已處理；通知學生暫未送出（{sent.status}），worker 會再試。", "ok")
    return redirect(url_for("console.objection_list"))
