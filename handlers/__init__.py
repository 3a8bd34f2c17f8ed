"""User intents, one module each; importing this package registers every route on `router`.

Order matters: the first matching route wins, and `fallback` (never silence) goes last.
"""
from bot.router import Router

router = Router()

from handlers import follow, binding, help, fallback  # noqa: E402,F401  (registration order)

__all__ = ["router"]
