"""A window's 對象 (audience) as a SQL condition on SchoolClass.

The stored form is read by `bot.domain.audience.Audience.from_db` ("全校", "grades:1;2",
"classes:101;102"); this module only turns it into a WHERE clause.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, true

from bot.domain.audience import Audience
from bot.infra.models import SchoolClass


def audience_where(value: str) -> ColumnElement[bool]:
    """The stored audience string as a condition on SchoolClass; ValueError names a bad value."""
    try:
        audience = Audience.from_db((value or "").strip())
    except ValueError as exc:
        raise ValueError(f"unknown audience {value!r} (expected 全校, grades:1;2 or classes:101;102)") from exc
    if audience.grades:
        return SchoolClass.grade.in_(audience.grades)
    if audience.classes:
        return SchoolClass.code.in_(audience.classes)
    return true()
