"""Writes the header-only templates (templates/*.csv as UTF-8 with BOM, and *.xlsx) from KINDS,
so the shipped templates can never drift from what the importer reads.

    python -m bot.domain.importer.templates templates/
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from bot.domain.importer.kinds import KINDS


def write_templates(directory: str | Path) -> list[Path]:
    from openpyxl import Workbook

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for spec in KINDS:
        csv_path = directory / f"{spec.name}.csv"
        with csv_path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerow(spec.columns)
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = spec.label
        sheet.append(list(spec.columns))
        for i, column in enumerate(spec.columns):
            sheet.column_dimensions[chr(ord("A") + i)].width = max(10, 4 * len(column))
        xlsx_path = directory / f"{spec.name}.xlsx"
        workbook.save(xlsx_path)
        written += [csv_path, xlsx_path]
    return written


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    for path in write_templates(sys.argv[1] if len(sys.argv) > 1 else "templates"):
        print(path)
