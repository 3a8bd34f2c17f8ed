"""稽核: every console action (sign-in, import, resolve, absence, codes issued), with who and when."""
from __future__ import annotations

from flask import render_template, request

from bot.console.blueprint import bp, services
from bot.domain import audit


@bp.get("/audit")
def audit_log():
    action = request.args.get("action") or None
    with services().db.session() as s:
        rows = audit.entries(s, action if action in audit.ACTIONS else None, limit=500)
    return render_template("console/audit.html", rows=rows, actions=audit.ACTIONS, action=action)
