"""Local mode only: the LINE stand-in at /_line and the simulator page at /simulator.

Mounted by the app factory only when no channel secret came from the environment,
so it is never reachable in production.
"""
from __future__ import annotations

from flask import Flask

from bot.demo.simulator.line_api import LineStandIn
from bot.demo.simulator.page import bp as page_bp

STANDIN_PREFIX = "/_line"


def register_local_mode(app: Flask) -> None:
    standin = app.extensions.get("line_standin") or LineStandIn()
    app.extensions["line_standin"] = standin
    app.register_blueprint(standin.blueprint(), url_prefix=STANDIN_PREFIX)
    app.register_blueprint(page_bp)
