"""匯入: upload CSV/XLSX files, see what would change (or every bad row), and only then 確認匯入.

The same all-or-nothing importer as `portfolio-bot import`: the preview runs it and rolls back; 確認匯入
runs it again on the same files. The files wait in the instance folder, tied to the session that
uploaded them, and are removed once imported. Every import is in the 稽核 trail, which is also the
history shown here.
"""
from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, session, url_for

from bot.console.blueprint import bp, now, record, services
from bot.domain import audit
from bot.domain.importer import import_files
from bot.domain.importer.follow_up import follow_up

ALLOWED = (".csv", ".xlsx", ".txt")
MAX_FILES = 20


def _staging() -> Path:
    return Path(current_app.instance_path) / "console-uploads"


def _safe_name(name: str, index: int) -> str:
    """The uploaded file's own name (Chinese kept), without any folder or control character."""
    base = re.sub(r"[\x00-\x1f/\\:*?\"<>|]", "_", Path(name or "").name).strip(" .")[:80]
    return base or f"file-{index}.csv"


def _upload_dir(upload_id: str | None) -> Path | None:
    if not upload_id or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", upload_id):
        return None
    folder = _staging() / upload_id
    return folder if folder.is_dir() else None


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


@bp.get("/import")
def imports():
    with services().db.session() as s:
        history = audit.entries(s, "import", limit=50)
    return render_template("console/imports.html", history=history)


@bp.post("/import")
def import_preview():
    """Keep the uploaded files and show what importing them would do; nothing is written."""
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    if not uploads:
        flash("請選擇要匯入的檔案（.csv 或 .xlsx）。", "error")
        return redirect(url_for("console.imports"))
    if len(uploads) > MAX_FILES:
        flash(f"一次最多匯入 {MAX_FILES} 個檔案。", "error")
        return redirect(url_for("console.imports"))
    bad = [f.filename for f in uploads if Path(f.filename).suffix.lower() not in ALLOWED]
    if bad:
        flash(f"只能匯入 .csv 或 .xlsx 檔：{'、'.join(bad)}", "error")
        return redirect(url_for("console.imports"))
    _forget(session.pop("upload", None))
    upload_id = secrets.token_urlsafe(18)
    folder = _staging() / upload_id
    folder.mkdir(parents=True)
    names: set[str] = set()
    for i, upload in enumerate(uploads, 1):
        name = _safe_name(upload.filename, i)
        while name in names:
            name = f"{i}-{name}"
        names.add(name)
        upload.save(folder / name)
    svc = services()
    report = import_files(svc.db, _files(folder), svc.settings.tz, now=now(), school=svc.settings.school,
                          dry_run=True)
    if report.ok:
        session["upload"] = upload_id
    else:
        _forget(upload_id)
    return render_template("console/import_preview.html", report=report, upload_id=upload_id if report.ok else None)


@bp.post("/import/confirm")
def import_confirm():
    """確認匯入: import the previewed files for real (all or nothing), then tell and relink as the CLI does."""
    upload_id = request.form.get("upload")
    folder = _upload_dir(upload_id) if upload_id and upload_id == session.get("upload") else None
    if folder is None:
        flash("找不到要匯入的檔案（預覽已過期或已匯入過）。請重新上傳。", "error")
        return redirect(url_for("console.imports"))
    svc = services()
    moment = now()
    report = import_files(svc.db, _files(folder), svc.settings.tz, now=moment, school=svc.settings.school)
    if not report.ok:  # the data changed since the preview
        return render_template("console/import_preview.html", report=report, upload_id=None)
    session.pop("upload", None)
    _forget(upload_id)
    with svc.db.session() as s:
        record(s, "import", "\n".join(f.summary() for f in report.files))
    flash("匯入完成：" + "；".join([f.summary() for f in report.files] + follow_up(svc, report)), "ok")
    return redirect(url_for("console.imports"))


def _forget(upload_id: str | None) -> None:
    folder = _upload_dir(upload_id)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
