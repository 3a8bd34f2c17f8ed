"""The staff console: the office's web pages (總覽, 匯入, 疑義, 綁定, 教師請假, 提醒紀錄, 稽核) under /console.

Served by the web process. A staff member signs in with a one-time link (`後台` in LINE, or
`portfolio-bot console-link`); the session is a signed, HttpOnly cookie; every POST carries Flask-WTF's
CSRF token; every page checks the role on the server. The pages call the same domain functions as the
CLI: one importer, one stats query.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask
from flask_wtf.csrf import CSRFError

from bot.console.blueprint import bp, csrf, refused_page
from bot.domain.console_access import SESSION_HOURS
from bot.infra.services import Services


def register_console(app: Flask, services: Services) -> bool:
    """Mount the console when it can be run safely: a SECRET_KEY (local mode makes one per run).
    Returns whether it was mounted; without it /console is not served (404)."""
    settings = services.settings
    key = settings.secret_key or (secrets.token_hex(32) if settings.local_mode else None)
    if key is None:
        return False
    from bot.console.pages import (  # noqa: F401 (each registers its routes on the blueprint)
        absences,
        audit,
        binding,
        deliveries,
        imports,
        objections,
        overview,
        signin,
    )

    app.secret_key = key
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_CHECK_DEFAULT=False,   # only the console's POSTs are checked (the webhook is signed instead)
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
    )
    csrf.init_app(app)
    app.register_blueprint(bp)
    app.register_error_handler(CSRFError, lambda e: refused_page(
        "這個表單已過期或不是從後台送出的（缺少安全驗證碼），沒有做任何變更。請重新整理頁面後再試一次。", 400))
    return True
