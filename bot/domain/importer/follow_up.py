"""What follows a committed import, the same for `portfolio-bot import` and the console's 確認匯入:
the pushes the import wrote (corrected 收訖明細) go out now, what cannot go out now the worker
retries, and the rich menus are linked again when people's roles may have changed."""
from __future__ import annotations

from bot.domain.importer.report import ImportReport
from bot.domain.richmenu import relink_after_import


def follow_up(services, report: ImportReport) -> list[str]:
    """Deliver the import's pushes and relink the menus; a zh-TW line for each thing done."""
    lines: list[str] = []
    if report.outbox:
        sent = sum(r.ok for r in services.sender.deliver_many(report.outbox))
        late = len(report.outbox) - sent
        lines.append(f"已用 LINE 通知 {sent} 位學生收訖明細已更正"
                     + (f"（{late} 則暫未送出，worker 會再試）" if late else ""))
    relinked = relink_after_import(services, {f.kind for f in report.files})  # roles may have changed
    if relinked:
        lines.append(relinked)
    return lines
