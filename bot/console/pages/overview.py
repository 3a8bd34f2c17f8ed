"""總覽: this term's windows on a timeline, rates per class as bars, confirmation per day as a line, who is
furthest behind, and LINE messages used this month against the plan with what the next sweep would cost."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import and_, or_, select

from bot.console import charts
from bot.console.blueprint import bp, now, services
from bot.domain.audience import Audience
from bot.domain.queries.rates import rates
from bot.domain.queries.terms import current_term
from bot.infra.models import Term, Window
from bot.infra.vocab import WINDOW_KIND_LABELS, WindowKind
from messages import staff as words

log = logging.getLogger(__name__)
RECENT = timedelta(days=60)  # 收訖明細 windows closed this long ago still show on the timeline


@dataclass(frozen=True)
class Span:
    """A window on the timeline: where its bar starts and how wide it is (percent of the whole)."""

    label: str
    audience: str
    starts_at: datetime
    ends_at: datetime
    state: str   # 進行中, 尚未開始, 已結束
    left: float
    width: float


def timeline(windows: list[tuple[Window, str]], moment: datetime) -> tuple[list[Span], float | None]:
    """The windows as bars over their combined span, and where today falls (percent), if inside it."""
    if not windows:
        return [], None
    first = min(w.starts_at for w, _ in windows)
    last = max(w.ends_at for w, _ in windows)
    whole = max((last - first).total_seconds(), 1)
    spans = []
    for w, term_label in sorted(windows, key=lambda pair: (pair[0].starts_at, pair[0].ends_at)):
        state = "進行中" if w.starts_at <= moment < w.ends_at else "尚未開始" if moment < w.starts_at else "已結束"
        left = (w.starts_at - first).total_seconds() / whole * 100
        width = max((w.ends_at - w.starts_at).total_seconds() / whole * 100, 1.5)
        spans.append(Span(f"{WINDOW_KIND_LABELS[WindowKind(w.kind)]}（{term_label}）",
                          Audience.from_db(w.audience).label, w.starts_at, w.ends_at, state,
                          round(left, 2), round(min(width, 100 - left), 2)))
    today = (moment - first).total_seconds() / whole * 100
    return spans, (round(today, 2) if 0 <= today <= 100 else None)


@bp.get("/")
def overview():
    svc, moment = services(), now()
    tz = svc.settings.tz
    with svc.db.session() as s:
        term = current_term(s, moment, tz)
        report = rates(s, term, moment, tz) if term is not None else None
        windows = [] if term is None else [(w, t.label) for w, t in s.execute(
            select(Window, Term).join(Term, Window.term_id == Term.id)
            .where(or_(Window.term_id == term.id,  # the term's own, and the 收訖明細 windows running this term
                       and_(Window.kind == WindowKind.receipt, Window.ends_at >= moment - RECENT))))]
        spans, today = timeline(windows, moment)
    quota = _quota(svc)
    sweep = _next_sweep(svc, moment)
    charts_ = {}
    if report is not None:
        classes = list(report.classes)
        charts_ = {
            "certification": charts.bars([(c.code, c.certification_rate, words.pct(c.certification_rate))
                                          for c in classes], "各班認證率"),
            "pick": charts.bars([(c.code, c.pick_rate, words.pct(c.pick_rate)) for c in classes], "各班勾選率"),
            "confirmation": charts.bars([(c.code, c.confirmation_rate, words.pct(c.confirmation_rate))
                                         for c in classes], "各班收訖明細確認率"),
            "days": [(words.confirmation_heading(c), charts.line(
                [(words.day_label(d.day), d.rate) for d in c.days], words.confirmation_heading(c)))
                for c in report.confirmations],
        }
    return render_template("console/overview.html", term=term, report=report, spans=spans, today=today,
                           charts=charts_, quota=quota, sweep=sweep, words=words)


def _quota(svc):
    """This month's LINE messages: used and the plan's limit (None when LINE cannot be asked)."""
    if not svc.settings.channel_access_token:
        return None
    try:
        return svc.sender.quota()
    except Exception as exc:  # LINE unreachable: the page still shows everything else
        log.warning("quota unavailable: %s", type(exc).__name__)
        return None


def _next_sweep(svc, moment):
    """What a sweep now would send and cost (`remind --dry-run`); None if it cannot be computed."""
    from scheduler.sweep import run_sweep

    try:
        return run_sweep(svc, now=moment, dry_run=True, forecast=False)
    except Exception as exc:
        log.warning("dry-run sweep failed: %s", type(exc).__name__)
        return None
