"""The event context a handler receives: what happened, who sent it, and the app's services."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable
from urllib.parse import parse_qsl

from bot.domain.people import Person

if TYPE_CHECKING:
    from bot.infra.services import Services


@dataclass
class EventContext:
    type: str                       # message, postback, follow, unfollow, ... (as LINE names them)
    user_id: str | None
    reply_token: str | None
    event_id: str | None
    timestamp: datetime
    text: str | None = None         # for text messages, stripped
    postback: dict[str, str] = field(default_factory=dict)
    message_type: str | None = None
    redelivered: bool = False       # LINE sent this event again (deliveryContext.isRedelivery)
    person: Person | None = None
    prefetched: object = None       # what the answering route's prefetch read with the person (Route.prefetch)
    services: "Services | None" = None
    # Work to run once the reply has gone out (e.g. delivering an outbox push the handler wrote
    # in its transaction): handlers do no HTTP themselves.
    after_reply: list[Callable[[], object]] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.services.clock() if self.services else datetime.now(timezone.utc)

    @classmethod
    def from_event(cls, event: dict, services: "Services | None" = None) -> "EventContext":
        message = event.get("message") or {}
        postback = event.get("postback") or {}
        ts = event.get("timestamp")
        return cls(
            type=str(event.get("type", "")),
            user_id=(event.get("source") or {}).get("userId"),
            reply_token=event.get("replyToken"),
            event_id=event.get("webhookEventId"),
            timestamp=datetime.fromtimestamp(ts / 1000, timezone.utc) if isinstance(ts, (int, float))
            else datetime.now(timezone.utc),
            text=message.get("text", "").strip() if message.get("type") == "text" else None,
            postback=dict(parse_qsl(str(postback.get("data", "")), keep_blank_values=True)),
            message_type=message.get("type"),
            redelivered=(event.get("deliveryContext") or {}).get("isRedelivery") is True,
            services=services,
        )
