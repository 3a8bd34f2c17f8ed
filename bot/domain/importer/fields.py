"""Reading one row's cells into typed values, collecting every problem (zh-TW) on the way.

Each getter returns the value, or None after recording why the cell is bad; a row is
good when `problems` is empty at the end.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from typing import Mapping, TypeVar
from zoneinfo import ZoneInfo

from bot.domain.importer.readers import Row, Value

T = TypeVar("T")

MIN_YEAR, MAX_YEAR = 100, 199  # 學年度: ROC years
LIST_SEPARATORS = re.compile(r"[;；]")
_LOCAL_TIME = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
END_OF_DAY = time(23, 59, 59)
TIME_HINT = "格式如 2025-09-30 08:00 或 2025-09-30"


def parse_local(value: Value, tz: ZoneInfo, end_of_day: bool = False) -> datetime:
    """A local time or date (date-only: 00:00, or 23:59:59 with ``end_of_day``) as aware UTC."""
    if isinstance(value, datetime):
        local = value
    elif isinstance(value, date):
        local = datetime.combine(value, END_OF_DAY if end_of_day else time(0, 0))
    else:
        match = _LOCAL_TIME.fullmatch(str(value).strip())
        if match is None:
            raise ValueError(value)
        y, mo, d, h, mi, sec = match.groups()
        day = date(int(y), int(mo), int(d))  # ValueError on 2025-02-30
        if h is None:
            local = datetime.combine(day, END_OF_DAY if end_of_day else time(0, 0))
        else:
            local = datetime.combine(day, time(int(h), int(mi), int(sec or 0)))  # ValueError on 25:00
    if local.tzinfo is None:
        local = local.replace(tzinfo=tz)
    return local.astimezone(timezone.utc)


def shown(value: Value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Fields:
    """Typed access to one row's cells by column name."""

    def __init__(self, row: Row, tz: ZoneInfo) -> None:
        self.row = row
        self.tz = tz
        self.problems: list[str] = []
        if row.overflow:
            self.problems.append("有資料在標題列之外的欄位")

    def fail(self, reason: str) -> None:
        self.problems.append(reason)

    def raw(self, column: str) -> Value:
        return self.row.get(column)

    def text(self, column: str, required: bool = True, max_len: int | None = None) -> str | None:
        value = shown(self.raw(column)).strip()
        if "\x00" in value:  # no database keeps it (PostgreSQL refuses it outright)
            self.fail(f"{column}含有不允許的控制字元（NUL）")
            return None
        if not value:
            if required:
                self.fail(f"{column}不可空白")
            return None
        if max_len is not None and len(value) > max_len:
            self.fail(f"{column}太長（最多 {max_len} 字）")
            return None
        return value

    def integer(self, column: str, low: int, high: int, hint: str = "", required: bool = True) -> int | None:
        value = self.text(column, required)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.fail(f"{column}「{value}」不正確" + (f"（{hint}）" if hint else f"（須為 {low} 到 {high} 的整數）"))
            return None
        return number

    def year(self, column: str = "學年度") -> int | None:
        return self.integer(column, MIN_YEAR, MAX_YEAR, "須為民國學年度，如 114")

    def semester(self, column: str = "學期", required: bool = True) -> int | None:
        return self.integer(column, 1, 2, "須為 1 或 2", required)

    def choice(self, column: str, mapping: Mapping[str, T], required: bool = True) -> T | None:
        value = self.text(column, required)
        if value is None:
            return None
        if value not in mapping:
            self.fail(f"{column}「{value}」不是可用的值（{'、'.join(mapping)}）")
            return None
        return mapping[value]

    def flag(self, column: str = "勾選") -> bool | None:
        value = self.text(column, required=False)
        if value is None or value == "否":
            return False
        if value == "是":
            return True
        self.fail(f"{column}「{value}」須為「是」、「否」或空白")
        return None

    def items(self, column: str) -> list[str]:
        """A `;`-separated list (empty cell: empty list)."""
        value = self.text(column, required=False) or ""
        return [p.strip() for p in LIST_SEPARATORS.split(value) if p.strip()]

    def when(self, column: str, required: bool = False, end_of_day: bool = False) -> datetime | None:
        value = self.raw(column)
        if isinstance(value, str) and not value.strip():
            if required:
                self.fail(f"{column}不可空白")
            return None
        try:
            return parse_local(value, self.tz, end_of_day)
        except ValueError:
            self.fail(f"{column}「{shown(value)}」不是有效的日期時間（{TIME_HINT}）")
            return None
