"""The web layer: the LINE webhook and the dispatcher that runs its events down the handlers."""
from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from bot.infra.services import Services


def services(app: Flask | None = None) -> "Services":
    """The services of the running app (set by ``bot.create_app``)."""
    return (app or current_app).extensions["portfolio"]
