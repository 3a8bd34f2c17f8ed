"""A window's 對象 (audience) as a SQL condition on SchoolClass.

Canonical strings: "全校", "grades:1;2", "classes:101;102" (normalised on import).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, true

from bot.models import SchoolClass
from bot.vocab import WHOLE_SCHOOL


@dataclass(frozen=True)
class Audience:
    grades: tuple[int, ...] | None = None   # None: not limited by grade
    classes: tuple[str, ...] | None = None  # None: not limited by class

    def condition(self) -> ColumnElement[bool]:
        if self.grades is not None:
            return SchoolClass.grade.in_(self.grades)
        if self.classes is not None:
            return SchoolClass.code.in_(self.classes)
        return true()


def parse_audience(value: str) -> Audience:
    """Parse a canonical audience string; anything else is an error naming the value."""
    value = (value or "").strip()
    if value == WHOLE_SCHOOL:
        return Audience()
    kind, _, rest = value.partition(":")
    parts = tuple(p.strip() for p in rest.split(";") if p.strip())
    if kind == "grades" and parts and all(p.isdigit() for p in parts):
        return Audience(grades=tuple(int(p) for p in parts))
    if kind == "classes" and parts:
        return Audience(classes=parts)
    raise ValueError(f"unknown audience {value!r} (expected 全校, grades:1;2 or classes:101;102)")
