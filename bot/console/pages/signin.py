"""Signing in with a one-time link, and signing out."""
from __future__ import annotations

from flask import redirect, render_template, session, url_for

from bot.console.blueprint import bp, now, record, refused_page, services
from bot.domain import audit, console_access

REFUSALS = {
    console_access.Refused.unknown: "這個登入連結無效。請在 LINE 傳「後台」取得新的連結。",
    console_access.Refused.used: "這個登入連結已經用過了（每個連結只能用一次）。請在 LINE 傳「後台」取得新的連結。",
    console_access.Refused.expired: f"這個登入連結已過期（{console_access.LINK_MINUTES} 分鐘內有效）。"
                                    "請在 LINE 傳「後台」取得新的連結。",
    console_access.Refused.not_staff: "後台只開放註冊組、教學組、訓育組與管理者使用。",
}


@bp.get("/login/<token>")
def login(token: str):
    """Open a one-time link: a 12-hour session for the staff member it was issued to, or 403."""
    moment = now()
    with services().db.session() as s:
        redeemed = console_access.redeem(s, token, moment)
        if redeemed.teacher is not None:
            audit.record(s, redeemed.teacher, "sign_in", "以 LINE 登入連結登入", moment)
            teacher_id = redeemed.teacher.id
    if redeemed.refused is not None:
        session.clear()
        return refused_page(REFUSALS[redeemed.refused], 403)
    session.clear()
    session.permanent = True
    session["staff"], session["since"] = teacher_id, moment.isoformat()
    return redirect(url_for("console.overview"))


@bp.post("/logout")
def logout():
    with services().db.session() as s:
        record(s, "sign_out")
    session.clear()
    return redirect(url_for("console.signed_out"))


@bp.get("/signed-out")
def signed_out():
    return render_template("console/sign_in.html", signed_out=True)
