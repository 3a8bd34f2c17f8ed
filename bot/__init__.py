"""Portfolio bot: the Flask app factory."""
from __future__ import annotations

import logging

from flask import Flask

from bot.infra.config import Settings


def create_app(settings: Settings | None = None, services=None) -> Flask:
    """Build the web app. With no arguments it reads the environment (the contract)."""
    from bot.web.dispatch import Dispatcher
    from bot.services import Services
    from bot.web.webhook import bp as webhook_bp

    app = Flask(__name__, instance_relative_config=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if services is None:
        services = Services.build(settings or Settings.from_env(instance_path=app.instance_path))
    if services.dispatcher is None:
        services.dispatcher = Dispatcher(services, mode=services.settings.dispatch_mode)
    app.extensions["portfolio"] = services
    app.register_blueprint(webhook_bp)
    if services.settings.local_mode:
        from bot.demo.simulator import register_local_mode
        register_local_mode(app)
    return app
