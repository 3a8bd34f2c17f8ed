"""User intents, one module each; importing this package registers every route on `router`.

Order matters: the first matching route wins, and `fallback` (never silence) goes last.
"""
from handlers.routing import Router

router = Router()

from handlers import follow, binding, help  # noqa: E402,F401  (registration order)
from handlers import status, deadlines, settings, receipts  # noqa: E402,F401  (student self-service)
from handlers import certifications, homeroom, staff  # noqa: E402,F401  (teachers, 導師, staff)
from handlers import fallback  # noqa: E402,F401  (last: never silence)

__all__ = ["router"]
