"""The sender: the one place that calls LINE's Messaging API.

Reply first (free); push only when there is no fresh reply token. Every push and
multicast is written to the outbox with its ``X-Line-Retry-Key`` before the call, so
a retry after a timeout or a 5xx reuses the key and LINE's 409 (already accepted) counts
as delivered. A 429 for the monthly limit is told apart from a rate limit: it is
reported and not retried. Messages over LINE's limits are never sent.

Message bodies go out exactly as built (plain dicts through the SDK's ``ApiClient``): the
SDK's request models (``PushMessageRequest.from_dict`` ...) drop fields they do not know,
add defaults (a Flex image gains ``size``/``animated``) and raise on unknown types.
"""
from __future__ import annotations

import json
import logging
import ssl
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from threading import BoundedSemaphore
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Callable

from linebot.v3.messaging import ApiClient, Configuration, MessagingApi
from linebot.v3.messaging.exceptions import ApiException
from sqlalchemy import bindparam, func, or_, select, update

from bot.infra.config import Settings
from bot.infra.db import Database
from bot.infra.line_http import LinePoster, NotSent
from bot.infra.line_limits import MAX_MULTICAST_RECIPIENTS, MessageLimitError, check_messages, encode_checked
from bot.infra.models import OutboxMessage
from bot.infra.store import Store

log = logging.getLogger(__name__)

MONTHLY_LIMIT_TEXT = "monthly limit"
QUOTA_FLAG = "line:monthly-limit-reached"
REPLY_CONNECT_ATTEMPTS = 6  # a refused connection: retry the reply for ~15 s (0.5 s doubling) before a push
MAX_OUTBOX_ATTEMPTS = 24   # requests per outbox row, over every try, before it is given up as failed
RETRY_BASE = timedelta(minutes=1)   # a pending row waits 1, 2, 4 ... minutes between tries
RETRY_MAX = timedelta(hours=6)
CONNECTIONS = 32  # kept-alive connections to LINE: as many as the dispatcher's workers


@dataclass(frozen=True)
class SendResult:
    """What happened to one send: ``sent``, ``failed``, ``quota`` or ``refused`` (over limits)."""

    status: str
    detail: str = ""
    outbox_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "sent"


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: no monthly limit ("none" type)
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def _error_message(exc: ApiException) -> str:
    try:
        return str(json.loads(exc.body or b"{}").get("message", ""))
    except (ValueError, AttributeError):
        return ""


def outbox_row(kind: str, recipients: list[str], messages: list[dict], purpose: str) -> OutboxMessage:
    """A new outbox row with its retry key (checked against LINE's limits), for the caller's transaction:
    durable with what it accompanies; `Sender.deliver` sends it, and the worker retries what is left."""
    check_messages(messages)
    return OutboxMessage(retry_key=str(uuid.uuid4()), kind=kind, recipients=recipients, messages=messages,
                         purpose=purpose)


def _never_sent(exc: BaseException) -> bool:
    """Whether a request provably never reached LINE: the connection was refused or never made."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return False
        if isinstance(seen, (NotSent, NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)):
            return True
        seen = seen.reason if isinstance(seen, MaxRetryError) else (seen.__cause__ or seen.__context__)
    return False


def _after(status: str, detail: str, attempts: int, outbox_id: int) -> tuple[str, str | None, datetime | None]:
    """(status, last error, next attempt) of a row after a try: a pending row backs off (1, 2, 4 ...
    minutes, at most RETRY_MAX); after MAX_OUTBOX_ATTEMPTS requests it is given up as failed."""
    if status != "pending":
        return status, detail or None, None
    if attempts >= MAX_OUTBOX_ATTEMPTS:
        log.error("outbox #%s given up after %s requests (%s)", outbox_id, attempts, detail)
        return "failed", f"gave up after {attempts} requests: {detail}", None
    wait = min(RETRY_BASE * (2 ** max(attempts // 4 - 1, 0)), RETRY_MAX)
    return "pending", detail or None, datetime.now(timezone.utc) + wait


class Sender:
    """Sends through line-bot-sdk v3 with ``Configuration(host=LINE_API_BASE)``."""

    def __init__(self, settings: Settings, db: Database, store: Store,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.db = db
        self.store = store
        self.sleep = sleep
        self.configuration = Configuration(
            host=settings.line_api_base, access_token=settings.channel_access_token or "local-mode"
        )
        # Keep a connection to LINE for each event worker (the SDK's default is 5 per core).
        self.configuration.connection_pool_maxsize = CONNECTIONS
        self._client = ApiClient(self.configuration)
        self.api = MessagingApi(self._client)

    def close(self) -> None:
        self._client.close()
        if "_poster" in self.__dict__:
            self._poster.close()

    # -- reply -------------------------------------------------------------
    def reply(self, reply_token: str | None, messages: list[dict], fallback_to: str | None = None,
              purpose: str = "reply", redelivered: bool = False) -> SendResult:
        """Answer with the free reply; if the token is missing or stale, push instead.

        A connection LINE refused (or never opened) provably did not deliver: the reply is tried
        again for a while (the token lives on), then pushed. A timeout after the request went out
        is ambiguous: not retried, not pushed. For a ``redelivered`` event (LINE sent it again) a
        refused token means it was used or has expired: no push, since the first delivery may have
        been answered."""
        if not messages:
            return SendResult("sent", "nothing to send")
        try:
            encoded = encode_checked(messages)
        except MessageLimitError as exc:
            log.error("refused to send a reply over LINE's limits: %s", exc)
            return SendResult("refused", str(exc))
        if reply_token:
            body = ('{"replyToken":%s,"messages":%s}' % (json.dumps(reply_token), encoded)).encode("utf-8")
            attempts = max(self.settings.sender_attempts, REPLY_CONNECT_ATTEMPTS)
            for attempt in range(1, attempts + 1):
                try:
                    self._post_json("/v2/bot/message/reply", body)
                    return SendResult("sent")
                except ApiException as exc:
                    # 5xx, or 429 (for a reply always a rate limit: replies are free): the
                    # token is still unused, so try it again before paying for a push.
                    if exc.status and (exc.status >= 500 or exc.status == 429) \
                            and attempt < self.settings.sender_attempts:
                        self._backoff(attempt)
                        continue
                    if redelivered and exc.status == 400:
                        log.warning("reply to a redelivered event refused (400): not pushed")
                        return SendResult("failed", "redelivered: the reply token was used or expired")
                    log.warning("reply failed with %s; falling back to push", exc.status)
                    break
                except Exception as exc:  # timeouts and connection errors
                    if _never_sent(exc):  # refused or never connected: nothing landed
                        if attempt < attempts:
                            self._backoff(attempt)
                            continue
                        log.warning("LINE unreachable for the reply (%s); pushing instead", type(exc).__name__)
                        break
                    # A reply after a timeout may already have landed; replying again is
                    # refused by LINE (the token is used), so a push could duplicate it.
                    log.warning("reply raised %s; not retried", type(exc).__name__)
                    return SendResult("failed", type(exc).__name__)
        if fallback_to:
            return self.push(fallback_to, messages, purpose=purpose)
        return SendResult("failed", "no reply token and nobody to push to")

    # -- push / multicast ---------------------------------------------------
    def push(self, to: str, messages: list[dict], purpose: str = "") -> SendResult:
        return self._send_new("push", [to], messages, purpose)

    def multicast(self, to: list[str], messages: list[dict], purpose: str = "") -> list[SendResult]:
        """Multicast in chunks of at most 500 recipients, one outbox row per chunk."""
        return [
            self._send_new("multicast", to[i:i + MAX_MULTICAST_RECIPIENTS], messages, purpose)
            for i in range(0, len(to), MAX_MULTICAST_RECIPIENTS)
        ]

    def enqueue(self, kind: str, recipients: list[str], messages: list[dict], purpose: str,
                session=None) -> OutboxMessage:
        """Write an outbox row (with its retry key) without sending; `deliver` sends it."""
        row = outbox_row(kind, recipients, messages, purpose)
        if session is not None:
            session.add(row)
            session.flush()
            return row
        with self.db.session() as own:
            own.add(row)
        return row

    def _send_new(self, kind: str, recipients: list[str], messages: list[dict], purpose: str) -> SendResult:
        try:
            row = self.enqueue(kind, recipients, messages, purpose)
        except MessageLimitError as exc:
            log.error("refused to %s over LINE's limits: %s", kind, exc)
            return SendResult("refused", str(exc))
        return self.deliver(row.id)

    def deliver(self, outbox_id: int) -> SendResult:
        """Send one outbox row with its stored retry key; safe to call again after a crash."""
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            if row is None:
                return SendResult("failed", "no such outbox row")
            if row.status == "sent":
                return SendResult("sent", "already delivered", row.id)
            kind, recipients, messages, key = row.kind, list(row.recipients), list(row.messages), row.retry_key
        if self._monthly_limit_flagged():
            return self._finish(outbox_id, "quota", "monthly limit reached earlier this month", count=False)
        status, detail, attempts = self._attempt(outbox_id, kind, recipients, messages, key)
        return self._finish(outbox_id, status, detail, attempts)

    def deliver_many(self, outbox_ids: list[int], threads: int = 8) -> list[SendResult]:
        """Send many outbox rows (a reminder sweep), in id order: one read (streamed, so memory
        stays flat), the requests on up to ``threads`` threads, one write of every outcome.
        A crash before the write leaves the rows pending for `retry_pending`, whose retry
        keys make LINE answer 409."""
        outcomes: dict[int, tuple[str, str, int]] = {}
        unsent: set[int] = set()
        if not outbox_ids:
            return []

        def send(row) -> None:
            if self._monthly_limit_flagged():
                outcomes[row.id] = ("quota", "monthly limit reached earlier this month", 0)
            else:
                outcomes[row.id] = self._attempt(row.id, row.kind, list(row.recipients), list(row.messages),
                                                 row.retry_key)

        with self.db.session() as session, \
                ThreadPoolExecutor(max(1, min(threads, len(outbox_ids))), thread_name_prefix="sender") as pool:
            slots = BoundedSemaphore(2 * threads)  # rows in flight: the rest wait in the database cursor
            rows = session.execute(
                select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.recipients, OutboxMessage.messages,
                       OutboxMessage.retry_key, OutboxMessage.status)
                .where(OutboxMessage.id.in_(sorted(outbox_ids))).order_by(OutboxMessage.id),
                execution_options={"yield_per": 100})
            for row in rows:
                if row.status == "sent":
                    outcomes[row.id] = ("sent", "already delivered", 0)
                    continue
                unsent.add(row.id)
                slots.acquire()
                pool.submit(send, row).add_done_callback(lambda _f: slots.release())
        self._finish_many([(i, *outcomes.get(i, ("pending", "not attempted", 0))) for i in sorted(unsent)])
        missing = ("failed", "no such outbox row", 0)
        return [SendResult(*outcomes.get(i, missing)[:2], i) for i in outbox_ids]

    def _attempt(self, outbox_id: int, kind: str, recipients: list[str], messages: list[dict],
                 key: str) -> tuple[str, str, int]:
        """POST one push/multicast with its retry key, retrying 429/5xx/timeouts; no database.

        Returns (status, detail, attempts): sent, quota, failed, or pending (still unsure).
        """
        if kind == "push":
            path, body = "/v2/bot/message/push", {"to": recipients[0], "messages": messages}
        else:
            path, body = "/v2/bot/message/multicast", {"to": recipients, "messages": messages}
        detail = ""
        for attempt in range(1, self.settings.sender_attempts + 1):
            try:
                self._call("POST", path, body, retry_key=key)
                return "sent", "", attempt
            except ApiException as exc:
                status = exc.status or 0
                message = _error_message(exc)
                if status == 409:  # LINE already accepted a request with this retry key
                    return "sent", "409: accepted earlier", attempt
                if status == 429 and MONTHLY_LIMIT_TEXT in message.lower():
                    self._flag_monthly_limit()
                    log.error("LINE monthly message limit reached; %s #%s kept for later", kind, outbox_id)
                    return "quota", message, attempt
                detail = f"{status}: {message}"
                if status == 429 or status >= 500:
                    if attempt < self.settings.sender_attempts:
                        self._backoff(attempt)
                    continue
                log.error("%s #%s rejected by LINE: %s", kind, outbox_id, detail)
                return "failed", detail, attempt
            except Exception as exc:  # timeouts, connection resets: the retry key makes a retry safe
                detail = type(exc).__name__
                if attempt < self.settings.sender_attempts:
                    self._backoff(attempt)
        log.warning("%s #%s still pending after %s attempts (%s)", kind, outbox_id,
                    self.settings.sender_attempts, detail)
        return "pending", detail, self.settings.sender_attempts

    def _finish(self, outbox_id: int, status: str, detail: str, attempts: int = 0, count: bool = True) -> SendResult:
        with self.db.session() as session:
            row = session.get(OutboxMessage, outbox_id)
            if count:
                row.attempts += attempts
            row.status, row.last_error, row.next_attempt_at = _after(status, detail, row.attempts, outbox_id)
            if status == "sent":
                row.sent_at = datetime.now(timezone.utc)
            status = row.status
        return SendResult("sent" if status == "sent" else status, row.last_error or "", outbox_id)

    def _finish_many(self, outcomes: list[tuple[int, str, str, int]]) -> None:
        """Record (outbox id, status, detail, attempts) of many sends in one statement."""
        if not outcomes:
            return
        table = OutboxMessage.__table__
        now = datetime.now(timezone.utc)
        with self.db.session() as session:
            before = dict(session.execute(select(table.c.id, table.c.attempts)
                                          .where(table.c.id.in_([o[0] for o in outcomes]))).all())
            rows = []
            for i, st, detail, n in outcomes:
                st, err, next_at = _after(st, detail, before.get(i, 0) + n, i)
                rows.append({"oid": i, "st": st, "n": n, "err": err, "at": now if st == "sent" else None,
                             "next": next_at})
            session.execute(
                update(table).where(table.c.id == bindparam("oid")).values(
                    status=bindparam("st"), attempts=table.c.attempts + bindparam("n"),
                    last_error=bindparam("err"), sent_at=bindparam("at"), next_attempt_at=bindparam("next")),
                rows)

    def _backoff(self, attempt: int) -> None:
        self.sleep(self.settings.sender_backoff * (2 ** (attempt - 1)))

    def _monthly_limit_flagged(self) -> bool:
        """Was LINE's monthly limit hit earlier this month? (A store outage reads as no:
        LINE itself still answers 429 and that is handled.)"""
        try:
            return bool(self.store.get(QUOTA_FLAG))
        except Exception as exc:
            log.warning("could not read the monthly-limit flag (%s)", type(exc).__name__)
            return False

    def _flag_monthly_limit(self) -> None:
        now = datetime.now(self.settings.tz)
        first_of_next = (now.replace(day=28) + timedelta(days=4)).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0)
        try:
            self.store.set(QUOTA_FLAG, "1", max(int((first_of_next - now).total_seconds()), 60))
        except Exception as exc:
            log.warning("could not record the monthly-limit flag (%s)", type(exc).__name__)

    def retry_pending(self, older_than_seconds: int = 60, limit: int = 200) -> int:
        """Deliver outbox rows left pending (a crash or an outage) whose back-off has passed, the
        longest waiting first; returns how many were sent. A row that keeps failing waits longer
        each time and is given up (status ``failed``) after MAX_OUTBOX_ATTEMPTS requests, so rows
        that always fail never starve newer ones."""
        now = datetime.now(timezone.utc)
        due = func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
        with self.db.session() as session:
            ids = list(session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.status == "pending",
                    OutboxMessage.created_at <= now - timedelta(seconds=older_than_seconds),
                    or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
                .order_by(due, OutboxMessage.id).limit(limit)))
        return sum(1 for outbox_id in ids if self.deliver(outbox_id).ok)

    # -- quota and bot info -------------------------------------------------
    def quota(self) -> Quota:
        """The month's message quota and what has been used (GET quota and quota/consumption)."""
        q = self.api.get_message_quota()
        used = self.api.get_message_quota_consumption().total_usage
        limit = q.value if getattr(q, "type", "none") == "limited" else None
        return Quota(limit=limit, used=used)

    def bot_basic_id(self) -> str | None:
        try:
            return self.api.get_bot_info().basic_id
        except Exception as exc:
            log.warning("could not read the bot's basic id: %s", type(exc).__name__)
            return None

    def _call(self, method: str, path: str, body: dict | bytes | None = None,
              content_type: str = "application/json", data_api: bool = False,
              response_type: str | None = None, retry_key: str | None = None):
        """One request with ``body`` sent unchanged via the SDK's ApiClient (host, auth, timeout);
        raises ApiException on a 4xx/5xx like the SDK does."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        if retry_key:
            headers["X-Line-Retry-Key"] = retry_key
        return self._client.call_api(
            path, method, header_params=headers, body=body,
            response_types_map={"200": response_type} if response_type else {},
            auth_settings=["Bearer"], _request_timeout=self.settings.sender_timeout,
            _host=self.settings.line_data_api_base if data_api else self.api.line_base_path,
            _return_http_data_only=True,
        )

    @cached_property
    def _poster(self) -> LinePoster:
        """The reply's way to LINE: the SDK's host, token, User-Agent and TLS settings, on a
        connection each dispatcher thread keeps (``bot/infra/line_http.py``)."""
        config = self.configuration
        context = None
        if (config.host or "").startswith("https"):
            context = ssl.create_default_context(cafile=config.ssl_ca_cert)
            if config.cert_file:
                context.load_cert_chain(config.cert_file, config.key_file)
            if not config.verify_ssl:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        headers = {**self._client.default_headers, "Content-Type": "application/json; charset=UTF-8",
                   "Accept": "application/json"}
        return LinePoster(config.host or self.api.line_base_path, headers, context)

    def _post_json(self, path: str, body: bytes) -> None:
        """POST JSON already encoded (UTF-8); raises ApiException on a 4xx/5xx as ``_call`` does, and
        ``NotSent`` when LINE could not be reached. The reply (every answer in chat) goes this way:
        the messages were encoded once to check LINE's limits, and the SDK's call_api would walk
        them and encode them again (a fifth of a reply's CPU)."""
        answer = self._poster.post(path, body, self.settings.sender_timeout)
        if not 200 <= answer.status <= 299:
            raise ApiException(http_resp=answer)

    # -- rich menus (the one place that talks to LINE about them) -----------------------
    def create_rich_menu(self, definition: dict) -> str:
        """POST /v2/bot/richmenu; returns the new rich menu's id."""
        created = self._call("POST", "/v2/bot/richmenu", definition, response_type="RichMenuIdResponse")
        return created.rich_menu_id

    def upload_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str = "image/png") -> None:
        """POST the image to LINE's data API (LINE_DATA_API_BASE)/v2/bot/richmenu/{id}/content."""
        self._call("POST", f"/v2/bot/richmenu/{rich_menu_id}/content", image, content_type, data_api=True)

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        self._call("DELETE", f"/v2/bot/richmenu/{rich_menu_id}")

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        """The menu of everyone with no menu of their own (people not bound yet)."""
        self._call("POST", f"/v2/bot/user/all/richmenu/{rich_menu_id}")

    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        self._call("POST", f"/v2/bot/user/{user_id}/richmenu/{rich_menu_id}")

    def unlink_rich_menu(self, user_id: str) -> None:
        self._call("DELETE", f"/v2/bot/user/{user_id}/richmenu")

    def link_rich_menu_to_users(self, user_ids: list[str], rich_menu_id: str) -> None:
        """Link many users at once (LINE takes at most 500 per request)."""
        for i in range(0, len(user_ids), MAX_MULTICAST_RECIPIENTS):
            self._call("POST", "/v2/bot/richmenu/bulk/link",
                                 {"richMenuId": rich_menu_id, "userIds": user_ids[i:i + MAX_MULTICAST_RECIPIENTS]})
