"""綁定: per class who is bound, who is not, who blocked the bot; issue codes for a class's unbound
students and print them as slips (name, class, seat, code, and a QR code that opens the chat with the
bot with 「綁定 code」 typed in), A4, from the browser's print dialog."""
from __future__ import annotations

import segno
from flask import abort, render_template
from sqlalchemy import select

from bot.console.blueprint import bp, record, services
from bot.domain.binding_codes import basic_id_of, issue_rows, unbound_people
from bot.domain.queries.bindings import BLOCKED, BOUND, UNBOUND, by_class
from bot.infra.models import SchoolClass


@bp.get("/binding")
def binding():
    with services().db.session() as s:
        classes = by_class(s)
    return render_template("console/binding.html", classes=classes, states=(BOUND, BLOCKED, UNBOUND))


def qr_image(link: str) -> str:
    """The link as a QR code (segno), a PNG data URI sized for a slip (whole pixels per module)."""
    return segno.make(link, error="m").png_data_uri(scale=4, border=2)


@bp.post("/binding/<class_code>/codes")
def binding_codes(class_code: str):
    """New codes for the class's unbound students (their earlier unused codes stop working), as slips.
    The codes exist only on this page: print it (or issue them again)."""
    svc = services()
    with svc.db.session() as s:
        klass = s.scalar(select(SchoolClass).where(SchoolClass.code == class_code))
        if klass is None:
            abort(404)
        people = unbound_people(s, "student", klass)
        basic_id, why = basic_id_of(svc) if people else (None, "")
        rows = issue_rows(s, people, basic_id)
        if rows:
            record(s, "codes", f"{class_code} 班 {len(rows)} 位學生")
    slips = [(row, qr_image(row.link) if row.link else None) for row in rows]
    return render_template("console/slips.html", class_code=class_code, slips=slips, why=why)
