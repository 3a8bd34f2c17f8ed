"""The seven template kinds, in dependency order, and telling a file's kind from its header row."""
from __future__ import annotations

from bot.domain.importer import courses, outcomes, performances, receipts, schedule, students, teachers
from bot.domain.importer.spec import KindSpec

# Import order: each kind may refer to the ones before it.
KINDS: tuple[KindSpec, ...] = (
    students.SPEC, teachers.SPEC, courses.SPEC, outcomes.SPEC, performances.SPEC, receipts.SPEC, schedule.SPEC,
)
ORDER = {spec.name: i for i, spec in enumerate(KINDS)}


class UnknownHeader(ValueError):
    """The header row is none of the templates' (zh-TW message)."""


def detect_kind(header: list[str]) -> KindSpec:
    for spec in KINDS:
        if spec.matches(header):
            return spec
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise UnknownHeader(f"標題列的欄位重複：{'、'.join(duplicated)}")
    closest = max(KINDS, key=lambda s: len(set(s.columns) & set(header)))
    shown = ",".join(header) or "（空白）"
    if not set(closest.columns) & set(header):
        raise UnknownHeader(f"無法辨識的標題列「{shown}」；請使用 templates/ 裡的範本")
    missing = [c for c in closest.columns if c not in header and c not in closest.optional]
    extra = [c for c in header if c not in closest.columns]
    hints = []
    if missing:
        hints.append(f"缺少 {'、'.join(missing)}")
    if extra:
        hints.append(f"多了 {'、'.join(c or '（空白欄）' for c in extra)}")
    raise UnknownHeader(f"無法辨識的標題列「{shown}」；最接近{closest.label}（{','.join(closest.columns)}），"
                        f"但{'，'.join(hints)}")
