"""What every command works with, made once per process by the `portfolio-bot` group (``ctx.obj``)."""
from __future__ import annotations

from dataclasses import dataclass

import click

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.infra.config import Settings, SettingsError
from bot.infra.services import Services


@dataclass
class Runtime:
    """What a command works with: the settings and the services, each made once per process."""

    _settings: Settings | None = None
    _services: Services | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = Settings.from_env()
            except SettingsError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = Services.build(self.settings)
        return self._services

    def close(self) -> None:
        if self._services is not None:
            self._services.close()
            self._services = None


pass_runtime = click.make_pass_decorator(Runtime)


class BadArgument(click.ClickException):
    """A command's argument or option cannot be used (unknown id, bad date, unwritable file): the reason
    in zh-TW, exit status 2, no traceback."""

    exit_code = 2


def database_problem(exc: DBAPIError, undone: str | None = None) -> str:
    """What went wrong with the database, in zh-TW, for a command that stops on it: the tables not yet
    made or older than the code (a migration not run), the database not reachable, or else the driver's
    error class (never the URL: it may hold a password). ``undone`` says what did not happen when the
    command knows (``import``: nothing was imported); by default nothing ran in the first two cases."""
    text = str(exc.orig).lower()
    if "no such table" in text or "no such column" in text or (
            "does not exist" in text and ("relation" in text or "column" in text)):
        return (f"資料庫的資料表還沒建立或不是最新版本，{undone or '沒有執行任何動作'}："
                "請先執行 portfolio-bot db upgrade。")
    if isinstance(exc, OperationalError) and any(
            word in text for word in ("connect", "connection", "unable to open", "timeout", "timed out")):
        return (f"無法連上資料庫，{undone or '沒有執行任何動作'}：請確認 DATABASE_URL 與資料庫是否正常"
                f"（{type(exc.orig).__name__}）。")
    return f"資料庫錯誤，{undone or '沒有完成'}（{type(exc.orig).__name__}）。"


def record_id(_ctx, param, value):
    """A click callback for a record number (疑義, 請假): a whole number a database can hold, else exit 2."""
    if value is None:
        return None
    text = str(value).strip().lstrip("#")
    if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise BadArgument(f"編號「{value}」不正確（請用列表中的編號，例如 12）")
    return int(text)
