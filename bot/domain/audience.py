"""Who a schedule window (作業期程) is for: the whole school, some grades, or some classes.

Schools write it as `全校`, `高一;高二` or `101;102`; the database holds the canonical
form (`全校`, `grades:1;2`, `classes:101;102`, sorted and de-duplicated).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from bot.infra.vocab import GRADE_LABELS, WHOLE_SCHOOL

_GRADE_BY_LABEL = {label: grade for grade, label in GRADE_LABELS.items()}
_SEPARATORS = re.compile(r"[;；,，、\s]+")
_GRADES_PREFIX = "grades:"
_CLASSES_PREFIX = "classes:"


@dataclass(frozen=True)
class Audience:
    """Whole school when both ``grades`` and ``classes`` are empty; never both non-empty."""

    grades: tuple[int, ...] = ()
    classes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.grades and self.classes:
            raise ValueError("對象不能同時列年級和班級")
        object.__setattr__(self, "grades", tuple(sorted(set(self.grades))))
        object.__setattr__(self, "classes", tuple(sorted(set(self.classes))))

    @classmethod
    def whole_school(cls) -> "Audience":
        return cls()

    @classmethod
    def parse(cls, text: str) -> "Audience":
        """Read what a school writes (`全校`, `高一;高三`, `101;102`); ValueError (zh-TW) otherwise."""
        tokens = [t for t in _SEPARATORS.split((text or "").strip()) if t]
        if not tokens:
            raise ValueError("對象不可空白（全校、高一;高二 或 101;102）")
        if WHOLE_SCHOOL in tokens:
            if len(tokens) > 1:
                raise ValueError("「全校」不能和年級或班級並列")
            return cls()
        grades = [_GRADE_BY_LABEL[t] for t in tokens if t in _GRADE_BY_LABEL]
        classes = [t for t in tokens if t not in _GRADE_BY_LABEL]
        if grades and classes:
            raise ValueError("對象不能同時列年級和班級")
        for code in classes:
            if len(code) > 16 or not re.fullmatch(r"[0-9A-Za-z\u4e00-\u9fff-]+", code):
                raise ValueError(f"對象「{code}」不是全校、年級（高一、高二、高三）或班級代碼")
        return cls(tuple(grades), tuple(classes))

    def to_db(self) -> str:
        if self.grades:
            return _GRADES_PREFIX + ";".join(str(g) for g in self.grades)
        if self.classes:
            return _CLASSES_PREFIX + ";".join(self.classes)
        return WHOLE_SCHOOL

    @classmethod
    def from_db(cls, value: str) -> "Audience":
        if value == WHOLE_SCHOOL:
            return cls()
        if value.startswith(_GRADES_PREFIX):
            return cls(grades=tuple(int(g) for g in value[len(_GRADES_PREFIX):].split(";") if g))
        if value.startswith(_CLASSES_PREFIX):
            return cls(classes=tuple(c for c in value[len(_CLASSES_PREFIX):].split(";") if c))
        raise ValueError(f"not a stored audience: {value!r}")

    def includes(self, grade: int, class_code: str) -> bool:
        if self.grades:
            return grade in self.grades
        if self.classes:
            return class_code in self.classes
        return True

    @property
    def label(self) -> str:
        """For people: `全校`, `高一、高二`, `101、102 班`."""
        if self.grades:
            return "、".join(GRADE_LABELS.get(g, str(g)) for g in self.grades)
        if self.classes:
            return "、".join(self.classes) + " 班"
        return WHOLE_SCHOOL
