"""Imports of the school's CSV/XLSX templates into the portfolio database.

`import_files(db, paths, tz)` is the API; `portfolio-bot import` (command.py) the CLI.
"""
from bot.domain.importer.report import FileReport, ImportReport, KindCounts, RowError
from bot.domain.importer.runner import import_files

__all__ = ["import_files", "ImportReport", "FileReport", "KindCounts", "RowError"]
