"""Portfolio bot. ``create_app`` is the web process's composition root (Procfile: ``bot:create_app()``)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from bot.infra.config import Settings
    from bot.infra.services import Services
    from handlers.routing import Router


def chat_router() -> "Router":
    """The chat routes, in the order they win: the first matching route answers an event.

    Following and binding first (an unbound person can do little else), help and the menu,
    then each role's intents, and last the fallbacks, so nothing is met with silence.
    """
    from handlers import (binding, certifications, deadlines, fallback, follow, help, homeroom, receipts,
                          settings, snooze, staff, status)
    from handlers.routing import Router

    return Router([
        follow, binding, help,                        # anyone
        status, deadlines, settings, receipts,        # students (設定: teachers too)
        snooze,                                       # a reminder's 「明天再提醒我」 (whoever got it)
        certifications, homeroom, staff,              # teachers, 導師, staff
        fallback,                                     # never silence
    ])


def create_app(settings: "Settings | None" = None, services: "Services | None" = None,
               router: "Router | None" = None) -> Flask:
    """Build the web app: Settings, Services and the router, once. No arguments: the environment."""
    from bot.infra.config import Settings
    from bot.infra.services import Services
    from bot.web.dispatch import Dispatcher
    from bot.console import register_console
    from bot.web import webhook

    app = Flask(__name__, instance_relative_config=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if services is None:
        services = Services.build(settings or Settings.from_env(instance_path=app.instance_path))
    if services.dispatcher is None:
        services.dispatcher = Dispatcher(services, router or chat_router(), mode=services.settings.dispatch_mode)
        services.dispatcher.start_recovery()  # events a stopped process accepted and did not answer
    app.extensions["portfolio"] = services
    app.register_blueprint(webhook.bp)  # GET /healthz
    webhook.mount(app, services)  # POST /callback, ahead of Flask
    register_console(app, services)  # the staff console, when a SECRET_KEY allows sessions
    if services.settings.local_mode:
        from bot.demo.simulator import register_local_mode
        register_local_mode(app)
    return app
