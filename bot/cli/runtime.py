"""What every command works with, made once per process by the `portfolio-bot` group (``ctx.obj``)."""
from __future__ import annotations

from dataclasses import dataclass

import click

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


def record_id(_ctx, param, value):
    """A click callback for a record number (疑義, 請假): a whole number a database can hold, else exit 2."""
    if value is None:
        return None
    text = str(value).strip().lstrip("#")
    if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise BadArgument(f"編號「{value}」不正確（請用列表中的編號，例如 12）")
    return int(text)
