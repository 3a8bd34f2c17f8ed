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
