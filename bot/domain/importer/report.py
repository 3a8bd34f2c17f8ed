"""What an import did: counts per file and per kind, and every bad row."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowError:
    """One bad row (or, with ``row_number`` None, a whole file that could not be used)."""

    file: str
    row_number: int | None
    reason: str

    def __str__(self) -> str:
        if self.row_number is None:
            return f"{self.file}：{self.reason}"
        return f"{self.file} 第{self.row_number}列：{self.reason}"


@dataclass
class KindCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "KindCounts") -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged


@dataclass
class FileReport:
    """One file: its kind, how many of its rows were inserted / updated / left as they were."""

    file: str
    kind: str
    label: str
    counts: KindCounts = field(default_factory=KindCounts)
    notes: list[str] = field(default_factory=list)  # zh-TW extras, e.g. "新增班級 3 個"

    def summary(self) -> str:
        c = self.counts
        if not (c.inserted or c.updated or c.unchanged):
            return f"{self.file}（{self.label}）：只有標題列，沒有資料列，未匯入任何資料"
        text = f"{self.file}（{self.label}）：新增 {c.inserted} 筆、更新 {c.updated} 筆、未變更 {c.unchanged} 筆"
        if self.notes:
            text += "；" + "、".join(self.notes)
        return text


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    outbox: list[int] = field(default_factory=list)  # pushes written with the import, to deliver after it

    @property
    def ok(self) -> bool:
        """True when the import was committed (no bad row anywhere)."""
        return not self.errors

    @property
    def counts(self) -> dict[str, KindCounts]:
        """Counts summed per kind (students, teachers, ...)."""
        out: dict[str, KindCounts] = {}
        for f in self.files:
            out.setdefault(f.kind, KindCounts()).add(f.counts)
        return out
