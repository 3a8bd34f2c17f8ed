"""The console's blueprint, its sign-in guard and the helpers every page uses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import Blueprint, current_app, g, render_template, request, session
from flask_wtf.csrf import CSRFProtect

from bot.domain import audit
from bot.domain.console_access import SESSION_HOURS, staff_member
from bot.infra.models import Teacher
from bot.infra.services import Services
from bot.infra.vocab import DUTY_LABELS, STAFF_DUTIES, Duty

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
               static_folder="static", static_url_path="/static")
csrf = CSRFProtect()

OPEN = {"console.login", "console.static", "console.signed_out"}  # reachable without a session


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member, as the pages need them."""

    id: int
    teacher_no: str
    name: str
    duties: frozenset[Duty]

    @property
    def admin(self) -> bool:
        return Duty.admin in self.duties

    @property
    def offices(self) -> str:
        return "、".join(DUTY_LABELS[d] for d in sorted(self.duties & STAFF_DUTIES, key=lambda d: d.value))

    @property
    def signature(self) -> str:
        return f"{self.name}（{self.teacher_no}）"


def services() -> Services:
    return current_app.extensions["portfolio"]


def now() -> datetime:
    return services().clock()


def record(session, action: str, detail: str = "") -> None:
    """Put the signed-in staff member's action in the 稽核 trail, in the caller's transaction."""
    audit.record(session, session.get(Teacher, g.staff.id), action, detail, now())


def refused_page(message: str, status: int):
    return render_template("console/refused.html", message=message), status


def signed_in() -> Staff | None:
    """The staff member of this session, checked against the database on every request."""
    teacher_id, since = session.get("staff"), session.get("since")
    if not teacher_id or not since:
        return None
    try:
        started = datetime.fromisoformat(since)
    except (TypeError, ValueError):
        return None
    if not timedelta(0) <= now() - started <= timedelta(hours=SESSION_HOURS):
        session.clear()
        return None
    with services().db.session() as s:
        teacher = staff_member(s, teacher_id)
        if teacher is None:
            return None
        return Staff(teacher.id, teacher.teacher_no, teacher.name, frozenset(teacher.duty_set))


@bp.before_request
def guard():
    """No session: the sign-in explanation (401). A session whose person lost every staff duty: 403.
    Every POST: Flask-WTF's CSRF check (400 without a valid token)."""
    if request.endpoint in OPEN:
        return None
    if not session.get("staff"):
        return render_template("console/sign_in.html"), 401
    staff = signed_in()
    if staff is None:
        session.clear()
        return refused_page("登入已逾時，或你已不具行政職務（註冊組、教學組、訓育組、管理者）。"
                            "請在 LINE 傳「後台」取得新的登入連結。", 403)
    g.staff = staff
    if request.method == "POST":
        csrf.protect()
    return None


@bp.after_request
def headers(response):
    """OWASP's usual headers: no framing (clickjacking), no sniffing, no referrer carrying a sign-in link
    elsewhere, and no caching of pages holding students' data."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_filter("local")
def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(services().settings.tz).strftime(fmt)


@bp.context_processor
def page_context() -> dict:
    return {"staff": g.get("staff"), "school_tz": services().settings.school_tz}
