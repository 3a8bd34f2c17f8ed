"""`import_files`: read every file's header, tell its kind, import them in dependency order in ONE
transaction (each file's rows read when its turn comes, and let go after), and roll everything back
when any row anywhere is bad."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterable
from zoneinfo import ZoneInfo

from bot.domain.importer.context import ImportContext
from bot.domain.importer.kinds import ORDER, UnknownHeader, detect_kind
from bot.domain.importer.readers import ReadError, Table, read_table
from bot.domain.importer.report import FileReport, ImportReport, RowError
from bot.domain.importer.spec import KindSpec
from bot.infra.db import Database
from bot.infra.models import utcnow
from bot.infra.config import SchoolRules


class _Rollback(Exception):
    pass


def _read_all(paths: Iterable[str | Path], report: ImportReport) -> list[tuple[Table, KindSpec]]:
    tables: list[tuple[Table, KindSpec]] = []
    for path in paths:
        name = Path(path).name
        try:
            table = read_table(path, header_only=True)  # rows are read when their kind's turn comes
            spec = detect_kind(table.header)
        except ReadError as exc:
            report.errors.append(RowError(name, None, str(exc)))
            continue
        except UnknownHeader as exc:
            report.errors.append(RowError(name, 1, str(exc)))
            continue
        tables.append((table, spec))
    tables.sort(key=lambda pair: ORDER[pair[1].name])  # stable: same-kind files keep their order
    return tables


def import_files(db: Database, paths: Iterable[str | Path], tz: ZoneInfo,
                 now: datetime | None = None, school: SchoolRules = SchoolRules(),
                 dry_run: bool = False) -> ImportReport:
    """Import the files all-or-nothing. ``report.ok`` is False (and nothing changed) when
    ``report.errors`` lists any bad row or unusable file. ``dry_run``: the same checks and counts
    (a preview), then everything is rolled back."""
    now = now or utcnow()
    report = ImportReport()
    tables = _read_all(paths, report)
    try:
        with db.session() as session:
            ctx = ImportContext(session, tz, now, school)
            for table, spec in tables:
                try:
                    table.load()  # one file's rows in memory at a time
                except ReadError as exc:
                    report.errors.append(RowError(table.file, None, str(exc)))
                    continue
                file_report = FileReport(table.file, spec.name, spec.label)
                before = len(ctx.errors)
                spec.run(table, ctx, file_report)  # its rows are let go as they are parsed (Table.consume)
                ctx.errors[before:] = sorted(ctx.errors[before:], key=lambda e: e.row_number or 0)
                session.flush()
                ctx.forget()
                report.files.append(file_report)
            report.errors.extend(ctx.errors)
            if report.errors or dry_run:
                raise _Rollback
            report.outbox = list(ctx.outbox)
    except _Rollback:
        pass
    return report
