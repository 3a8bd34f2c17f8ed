"""提醒紀錄: per window and stage, who was reminded, when, and whether it was delivered, failed or is
waiting; exported as CSV (UTF-8 with BOM, so Excel opens it; every cell text, never a formula)."""
from __future__ import annotations

import csv
import io
from collections import Counter

from flask import Response, render_template, request

from bot.console.blueprint import bp, record, services
from bot.domain.queries.deliveries import (HEADER, STATUS_LABELS, deliveries, scopes_reminded, stage_label,
                                           window_labels)
from bot.infra.cells import as_text


@bp.get("/deliveries")
def delivery_list():
    scope = request.args.get("window") or None
    tz = services().settings.tz
    with services().db.session() as s:
        windows = window_labels(s)
        rows = deliveries(s, scope, limit=500)
        used = sorted(scopes_reminded(s), key=lambda sc: windows.get(sc, sc))
    tally = Counter(STATUS_LABELS.get(d.status, d.status) for d in rows)
    return render_template("console/deliveries.html", rows=[d.cells(windows, tz) for d in rows], header=HEADER,
                           scopes=[(sc, windows.get(sc, sc)) for sc in used], scope=scope, tally=tally,
                           stage_label=stage_label)


@bp.get("/deliveries.csv")
def delivery_csv():
    scope = request.args.get("window") or None
    svc = services()
    with svc.db.session() as s:
        windows = window_labels(s)
        rows = deliveries(s, scope)
        record(s, "export", f"提醒紀錄 {len(rows)} 筆")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([as_text(cell) for cell in d.cells(windows, svc.settings.tz)] for d in rows)
    body = "\ufeff" + out.getvalue()  # the BOM: Excel in Taiwan then reads UTF-8
    return Response(body.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename*=UTF-8''deliveries.csv"})
