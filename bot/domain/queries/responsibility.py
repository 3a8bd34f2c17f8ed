"""Who answers for a course's pending certifications now (代理人機制).

The course's teacher, unless the teacher is absent (a TeacherAbsence covering ``now``) or
the course is escalated (the reminder engine's escalation point, or a condition the caller
passes): then the first available proxy (代理教師) in CourseProxy.position order takes over.
Available means: not the course's teacher and not absent at ``now`` (and, with
``bound_only``, holding an active, unblocked LINE binding). An escalated course whose
teacher is present stays the teacher's too; an absent teacher's course is the proxy's alone.

Set-based: `responsibility` is one subquery (one row per course) to join into other
statements; `responsible_for` runs it and hands back plain rows.

    resp = responsibility(now, escalated=Course.id.in_(late_ids))
    stmt = select(Outcome.id, resp.c.proxy_id).join(resp, resp.c.course_id == Outcome.course_id)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import ColumnElement, Subquery, and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from bot.infra.models import Course, CourseProxy, LineBinding, TeacherAbsence
from bot.infra.vocab import PersonKind


def absent_at(teacher_id: ColumnElement, now: datetime) -> ColumnElement[bool]:
    """Whether the teacher has an absence (請假) covering ``now`` (start inclusive, end exclusive)."""
    return exists().where(TeacherAbsence.teacher_id == teacher_id, TeacherAbsence.starts_at <= now,
                          TeacherAbsence.ends_at > now)


def _bound(teacher_id: ColumnElement) -> ColumnElement[bool]:
    binding = aliased(LineBinding)
    return exists().where(binding.person_kind == PersonKind.teacher, binding.person_id == teacher_id,
                          binding.unbound_at.is_(None), binding.blocked.is_(False))


def first_proxies(now: datetime, bound_only: bool = False) -> Subquery:
    """Each course's first available proxy: columns ``course_id``, ``proxy_id``, ``position``."""
    conditions = [CourseProxy.teacher_id != Course.teacher_id, ~absent_at(CourseProxy.teacher_id, now)]
    if bound_only:
        conditions.append(_bound(CourseProxy.teacher_id))
    ranked = (select(CourseProxy.course_id, CourseProxy.teacher_id.label("proxy_id"), CourseProxy.position,
                     func.row_number().over(partition_by=CourseProxy.course_id,
                                            order_by=CourseProxy.position).label("rank"))
              .join(Course, CourseProxy.course_id == Course.id)
              .where(*conditions)
              .subquery("ranked_proxy"))
    return (select(ranked.c.course_id, ranked.c.proxy_id, ranked.c.position)
            .where(ranked.c.rank == 1).subquery("first_proxy"))


def responsibility(now: datetime, escalated: ColumnElement[bool] | bool = False,
                   bound_only: bool = False) -> Subquery:
    """One row per course: ``course_id``, ``teacher_id``, ``teacher_absent``, ``proxy_id`` (the first
    available proxy, or NULL), ``proxy_covers`` (the proxy has taken over: teacher absent or
    ``escalated``, and a proxy is there) and ``responsible_id`` (the proxy when the teacher is
    absent and a proxy covers, else the teacher).

    ``escalated`` is a condition on Course (or True/False for every course).
    """
    proxy = first_proxies(now, bound_only)
    absent = absent_at(Course.teacher_id, now)
    escalated_cond = (true() if escalated else false()) if isinstance(escalated, bool) else escalated
    covers = and_(proxy.c.proxy_id.is_not(None), or_(absent, escalated_cond))
    return (select(Course.id.label("course_id"), Course.teacher_id.label("teacher_id"),
                   case((absent, literal(True)), else_=literal(False)).label("teacher_absent"),
                   proxy.c.proxy_id.label("proxy_id"),
                   case((covers, literal(True)), else_=literal(False)).label("proxy_covers"),
                   case((and_(absent, proxy.c.proxy_id.is_not(None)), proxy.c.proxy_id),
                        else_=Course.teacher_id).label("responsible_id"))
            .outerjoin(proxy, proxy.c.course_id == Course.id)
            .subquery("responsibility"))


@dataclass(frozen=True)
class Responsibility:
    """Who answers for one course now."""

    course_id: int
    teacher_id: int
    teacher_absent: bool
    proxy_id: int | None
    proxy_covers: bool

    @property
    def acting(self) -> tuple[int, ...]:
        """The teachers who should act now: the present teacher, and the covering proxy."""
        who = [] if self.teacher_absent else [self.teacher_id]
        if self.proxy_covers and self.proxy_id is not None:
            who.append(self.proxy_id)
        return tuple(who)

    @property
    def uncovered(self) -> bool:
        """The teacher is absent and no proxy is available: nobody can certify now."""
        return self.teacher_absent and not self.proxy_covers


def responsible_for(session: Session, now: datetime, course_ids: Iterable[int] | None = None,
                    escalated: ColumnElement[bool] | bool = False,
                    bound_only: bool = False) -> dict[int, Responsibility]:
    """`responsibility` for the given courses (all when None), by course id; one query."""
    resp = responsibility(now, escalated, bound_only)
    stmt = select(resp.c.course_id, resp.c.teacher_id, resp.c.teacher_absent, resp.c.proxy_id, resp.c.proxy_covers)
    if course_ids is not None:
        ids = sorted(set(course_ids))
        if not ids:
            return {}
        stmt = stmt.where(resp.c.course_id.in_(ids))
    return {row[0]: Responsibility(row[0], row[1], bool(row[2]), row[3], bool(row[4]))
            for row in session.execute(stmt)}


def covered_by(now: datetime, proxy_id: int, escalated: ColumnElement[bool] | bool = False) -> ColumnElement[bool]:
    """A condition on Course: ``proxy_id`` currently covers it (for joining into a teacher's view)."""
    resp = responsibility(now, escalated)
    return Course.id.in_(select(resp.c.course_id).where(resp.c.proxy_id == proxy_id, resp.c.proxy_covers.is_(True)))
