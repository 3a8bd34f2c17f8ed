"""Benchmark: the webhook under 50 concurrent LINE users, each a bound student asking 說明.

Serves the real app (``bot.create_app(services=...)``) over real HTTP with werkzeug's
threaded server, and a `LineStandIn` on another loopback port as ``LINE_API_BASE``.
The database it is given is reset (PostgreSQL: the ``public`` schema is dropped and
recreated; SQLite: a fresh file), migrated, and seeded with one class and one bound
student per sender. The stand-in issues fresh reply tokens for every request; then a
separate load-generator process (so the senders do not share the server's GIL) runs one
thread per student, each posting signed text events through its own ``requests.Session``.
It records each ``POST /callback`` latency (must be 200); this process records when the
replies reach the stand-in and checks each is what a bound student gets, by reply.

    python bench/bench_webhook.py [--requests-per-sender 20] [--senders 50]
                                  [--database-url URL] [--redis-url URL]

Traffic goes to 127.0.0.1 only; the run is bounded in count and by --timeout.
"""
from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from bot import create_app
from bot.config import Settings
from bot.db import Database
from bot.migrate import upgrade
from bot.models import LineBinding, SchoolClass, Student
from bot.people import load_person
from bot.sender import Sender
from bot.services import Services
from bot.simulator.events import callback_body, text_event
from bot.simulator.line_api import LineStandIn
from bot.store import MemoryStore, RedisStore, Store
from bot.vocab import PersonKind
from bot.webhook import signature_for
from handlers import router
from messages import common

SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"
ASK = "說明"


class Served:
    """A WSGI app on a free loopback port, served by werkzeug's threaded server in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class LoadResult:
    """What the load generator measured: per-request latencies (s), errors, and when it started."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_wall: float = 0.0
    duration: float = 0.0


def user_id(n: int) -> str:
    return "U" + f"{n:032x}"


def reset_database(url: str) -> None:
    """Drop everything in the given database (PostgreSQL: the public schema), then migrate."""
    db = Database(url)
    try:
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        elif db.is_sqlite:
            path = db.engine.url.database
            if path and path != ":memory:":
                for suffix in ("", "-wal", "-shm"):
                    Path(path + suffix).unlink(missing_ok=True)
    finally:
        db.engine.dispose()
    upgrade(url)


def seed(db: Database, senders: int) -> list[str]:
    """One class and one bound student per sender; returns their LINE user ids."""
    users = [user_id(n + 1) for n in range(senders)]
    with db.session() as session:
        klass = SchoolClass(code="101", grade=1)
        session.add(klass)
        session.flush()
        for seat, line_user in enumerate(users, start=1):
            student = Student(student_no=f"B{seat:05d}", name=f"學生{seat:02d}", class_id=klass.id, seat=seat)
            session.add(student)
            session.flush()
            session.add(LineBinding(line_user_id=line_user, person_kind=PersonKind.student, person_id=student.id))
    return users


def expected_reply(db: Database, line_user: str) -> list[dict]:
    """What a bound student asking 說明 gets; fails if the binding did not take."""
    with db.session() as session:
        person = load_person(session, line_user)
    if person is None:
        raise SystemExit(f"seeding failed: {line_user} is not bound")
    return [common.faq(person.roles)]


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def make_store(redis_url: str | None) -> Store:
    if not redis_url:
        return MemoryStore()
    store = RedisStore(redis_url, prefix="pbbench:")
    if not store.ping():
        raise SystemExit(f"Redis at {redis_url} does not answer")
    store.flush()
    return store


def send_all(callback_url: str, line_user: str, tokens: list[str], start: threading.Barrier,
             out: LoadResult, guard: threading.Lock) -> None:
    """One LINE user: post a signed 說明 per reply token, one after another, on one Session."""
    latencies: list[float] = []
    errors: list[str] = []
    with requests.Session() as http:
        start.wait()
        for token in tokens:
            body = callback_body([text_event(line_user, ASK, token)])
            headers = {"Content-Type": "application/json", "X-Line-Signature": signature_for(SECRET, body)}
            began = time.perf_counter()
            try:
                response = http.post(callback_url, data=body, headers=headers, timeout=30)
            except requests.RequestException as exc:
                errors.append(type(exc).__name__)
                continue
            if response.status_code != 200:
                errors.append(f"HTTP {response.status_code}")
                continue
            latencies.append(time.perf_counter() - began)
    with guard:
        out.latencies.extend(latencies)
        out.errors.extend(errors)


def generate_load(callback_url: str, plan: dict[str, list[str]]) -> LoadResult:
    """Runs in a separate process: one thread per user, all released together."""
    out, guard = LoadResult(), threading.Lock()
    barrier = threading.Barrier(len(plan) + 1)
    threads = [threading.Thread(target=send_all, args=(callback_url, user, tokens, barrier, out, guard))
               for user, tokens in plan.items()]
    for thread in threads:
        thread.start()
    barrier.wait()
    out.started_wall, started = time.time(), time.perf_counter()
    for thread in threads:
        thread.join()
    out.duration = time.perf_counter() - started
    return out


def quiet_logs() -> None:
    """werkzeug logs every request and urllib3 every recycled connection: not the app's work."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests-per-sender", type=int, default=20)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--database-url", default=None,
                        help="reset and used (default: a temporary SQLite file); e.g. postgresql+psycopg://...")
    parser.add_argument("--redis-url", default=None, help="use Redis for de-duplication (keys prefixed pbbench:)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for all replies")
    args = parser.parse_args(argv)
    if args.senders < 1 or args.requests_per_sender < 1:
        parser.error("--senders and --requests-per-sender must be at least 1")

    tmpdir = None
    url = args.database_url
    if not url:
        tmpdir = tempfile.mkdtemp(prefix="bench-webhook-")
        url = f"sqlite:///{Path(tmpdir) / 'bench.sqlite3'}"
    try:
        return run(url, args)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def run(url: str, args: argparse.Namespace) -> int:
    reset_database(url)
    standin = LineStandIn()
    line_app = Flask("line-standin")
    line_app.register_blueprint(standin.blueprint())
    line_server = Served(line_app)

    settings = Settings(channel_secret=SECRET, channel_access_token=TOKEN, line_api_base=line_server.url,
                        database_url=url, redis_url=args.redis_url, local_mode=False)
    db = Database(url)
    store = make_store(args.redis_url)
    services = Services(settings=settings, db=db, store=store, sender=Sender(settings, db, store), router=router)
    app = create_app(services=services)
    quiet_logs()
    app_server = Served(app)

    users = seed(db, args.senders)
    expected = expected_reply(db, users[0])
    total = args.senders * args.requests_per_sender
    plan = {u: [standin.issue_reply_token(u) for _ in range(args.requests_per_sender)] for u in users}

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        pending = pool.apply_async(generate_load, (app_server.url + "/callback", plan))
        deadline = time.perf_counter() + args.timeout
        while time.perf_counter() < deadline:
            if pending.ready() and sum(len(standin.sent_to(u)) for u in users) >= total:
                break
            time.sleep(0.005)
        if not pending.ready():
            raise SystemExit(f"the senders did not finish within --timeout {args.timeout:.0f} s")
        load = pending.get()
    replies = [d for u in users for d in standin.sent_to(u)]
    last_at = max((datetime.fromisoformat(d.at).timestamp() for d in replies), default=load.started_wall)
    end_to_end = last_at - load.started_wall if len(replies) >= total else None

    app_server.stop()
    services.close()
    line_server.stop()
    if isinstance(store, RedisStore):
        store.flush()

    latencies = sorted(load.latencies)
    errors = load.errors
    sent_for = load.duration
    wrong = sum(1 for d in replies if d.via != "reply" or d.messages != expected)
    failed_calls = sum(1 for r in standin.requests if r.status != 200)

    backend = make_url(db.url).get_backend_name()
    print(f"webhook bench: {args.senders} senders x {args.requests_per_sender} '{ASK}' from bound students; "
          f"database={backend}, store={'redis' if args.redis_url else 'memory'}, server=werkzeug threaded")
    print(f"  requests        {total} (200 OK: {len(latencies)}, errors: {len(errors)})")
    print(f"  duration        {sent_for:.2f} s (first POST to last /callback answer)")
    print(f"  throughput      {len(latencies) / sent_for:.1f} req/s")
    if latencies:
        print(f"  /callback       p50 {percentile(latencies, 50) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 99) * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    if end_to_end is not None:
        print(f"  end-to-end      {end_to_end:.2f} s until all {total} replies reached the stand-in")
    else:
        print(f"  end-to-end      INCOMPLETE: {len(replies)}/{total} replies within {args.timeout:.0f} s")
    print(f"  replies         {len(replies)} delivered, {wrong} not the bound student's answer by reply, "
          f"{failed_calls} LINE calls not 200")
    if errors:
        print(f"  errors          {sorted(set(errors))}")
    ok = not errors and end_to_end is not None and wrong == 0 and failed_calls == 0 and len(replies) == total
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
