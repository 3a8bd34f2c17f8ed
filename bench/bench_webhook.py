"""Benchmark: the webhook under 50 concurrent LINE users, each a bound student sending a text.

Serves the real app over real HTTP and measures two latencies per message:

* ``/callback``: what LINE sees, from sending the POST to reading the 200;
* ``reply``: from sending the POST until the bot's reply reaches the LINE stand-in
  (the reply's arrival is stamped by the stand-in's request hook, keyed by reply token).

``--server gunicorn`` (the default) runs the Procfile's ``web`` line as production does
(``$PORT`` → a free loopback port, ``0.0.0.0`` → ``127.0.0.1``, extra ``--gunicorn-args``
appended), configured only through the environment (``LINE_CHANNEL_SECRET``,
``LINE_API_BASE``, ``DATABASE_URL``, ``REDIS_URL``). ``--server werkzeug`` serves
``create_app(services=...)`` with werkzeug's threaded server in this process instead.
A `LineStandIn` on another loopback port plays LINE, keeping connections alive as LINE's API
does (``bench/keepalive.py``; ``--line-closes``: werkzeug's server, which closes each one).
The database it is given is reset (PostgreSQL: the ``public`` schema is dropped and recreated;
SQLite: a fresh file), migrated, and seeded with one class and one bound student per sender.
A separate load-generator process (so the senders do not share a GIL with anything measured)
runs one thread per student, each posting signed text events one after another on its own
connection (``Poster``: a socket and the bot's HTTP reader; ``--client requests``: a
``requests.Session``, at ten times the CPU). Every reply is checked to be what that bound
student gets, by reply. Besides the server's own CPU, the machine's CPU over the load
(``/proc/stat``: the load generator, the stand-in, the database and Redis included) is
reported per reply: on a box of a few cores, replies/s moves with everything else there.

    python bench/bench_webhook.py [--senders 50] [--requests-per-sender 20] [--text 我的進度]
                                  [--server gunicorn|werkzeug] [--gunicorn-args "--workers 2"]
                                  [--database-url URL] [--redis-url URL] [--line-latency-ms 0] [--line-closes]
                                  [--client raw|requests]

Traffic goes to 127.0.0.1 only; the run is bounded in count and by --timeout.
"""
from __future__ import annotations

import argparse
import dataclasses
import http.client as http_client
import logging
import math
import multiprocessing
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from bot import chat_router, create_app
from bot.demo.simulator.events import callback_body, text_event
from bot.demo.simulator.line_api import LineStandIn
from bot.domain.queries.terms import roc_term
from bot.infra.config import Settings
from bot.infra.db import Database
from bot.infra.line_http import read_answer
from bot.infra.migrate import upgrade
from bot.infra.models import (
    Course, LineBinding, Outcome, Performance, SchoolClass, Student, Teacher, TeacherDuty, Term, Window,
)
from bot.infra.sender import Sender
from bot.infra.services import Services
from bot.infra.store import MemoryStore, RedisStore, Store
from bot.infra.vocab import Duty, OutcomeStatus, PersonKind, WindowKind
from keepalive import KeepAliveServer  # bench/keepalive.py: this script's folder is on sys.path
from bot.web.dispatch import Dispatcher
from bot.web.webhook import signature_for
from handlers.context import EventContext
from messages import common

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-channel-secret"
TOKEN = "bench-channel-access-token"


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile_web_command(port: int, extra: str) -> list[str]:
    """The Procfile's ``web`` line as argv, on a loopback port, with the venv's executables."""
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("web:"):
            argv = shlex.split(line[len("web:"):].replace("$PORT", str(port)).replace("0.0.0.0", "127.0.0.1"))
            local = Path(sys.executable).parent / argv[0]
            if local.exists():
                argv[0] = str(local)
            return argv + shlex.split(extra)
    raise SystemExit("Procfile has no web: line")


class Gunicorn:
    """A gunicorn command in a child process, configured only by the environment."""

    def __init__(self, argv: list[str], env: dict[str, str], ready_timeout: float = 30.0) -> None:
        self.argv = argv
        self.url = argv_url(argv)
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise SystemExit(f"gunicorn did not answer /healthz within {ready_timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by gunicorn's master and its workers (Linux /proc)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == self.process.pid or ppid == self.process.pid:
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def box_cpu_seconds() -> float:
    """CPU time all processes of the machine have used so far (Linux /proc/stat: user, nice, system,
    irq, softirq): the load generator, the stand-in, the database and Redis as well as the bot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def argv_url(argv: list[str]) -> str:
    bind = next(a.split("=", 1)[1] if "=" in a else argv[i + 1] for i, a in enumerate(argv) if a.startswith("--bind"))
    return "http://" + bind


def gunicorn_env(line_api_base: str, database_url: str | None = None, redis_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_API_BASE=line_api_base)
    for name in ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def echo_bot_command(port: int) -> list[str]:
    """line-bot-sdk's Flask echo bot (``bench/echo_bot.py``) on gunicorn's defaults."""
    return [str(Path(sys.executable).parent / "gunicorn"), "bench.echo_bot:app", "--bind", f"127.0.0.1:{port}"]


@dataclass
class LoadResult:
    """What the load generator measured, per reply token: (wall time posted, /callback latency s)."""

    sent: dict[str, tuple[float, float]] = field(default_factory=dict)
    event_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0
    box_at_start: float = 0.0  # box_cpu_seconds() as the senders were released
    cpu: float = 0.0  # the load generator's own CPU seconds while it sent


# One connection's work: (LINE user, reply token, seconds after the start to send it or None = at once).
Plan = list[tuple[str, str, float | None]]


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
        db.dispose()
    upgrade(url)


SUBJECTS = ("國語文", "英語文", "數學", "物理", "化學", "歷史", "地理")
STATUSES = (OutcomeStatus.certified, OutcomeStatus.certified, OutcomeStatus.pending, OutcomeStatus.pending,
            OutcomeStatus.failed, OutcomeStatus.draft)


CLASS_SIZE = 50


def seed(db: Database, students: int, tz: ZoneInfo) -> list[str]:
    """Classes of 50 whose students are bound and have a record like a real one: this term's 7
    courses, 6 outcomes in every status (2 picked), 3 performances, and open windows."""
    users = [user_id(n + 1) for n in range(students)]
    now = datetime.now(timezone.utc)
    year, semester = roc_term(now.astimezone(tz).date())
    with db.session() as session:
        term = Term(year=year, semester=semester)
        teacher = Teacher(teacher_no="T0001", name="王老師", duties=[TeacherDuty(duty=Duty.subject_teacher)])
        session.add_all([term, teacher])
        session.flush()
        for kind, opened, closes in ((WindowKind.outcome_upload, -10, 10), (WindowKind.certification, -10, 20),
                                     (WindowKind.pick, 5, 15)):
            session.add(Window(kind=kind, term_id=term.id, audience="全校",
                               starts_at=now + timedelta(days=opened), ends_at=now + timedelta(days=closes)))
        session.flush()
        courses: list[Course] = []
        for n, line_user in enumerate(users):
            seat = n % CLASS_SIZE + 1
            if seat == 1:
                klass = SchoolClass(code=f"{1 + n // CLASS_SIZE // 99}{n // CLASS_SIZE % 99 + 1:02d}", grade=1)
                session.add(klass)
                session.flush()
                courses = [Course(term_id=term.id, code=f"C{klass.code}-{k}", subject=subject, class_id=klass.id,
                                  teacher_id=teacher.id) for k, subject in enumerate(SUBJECTS)]
                session.add_all(courses)
                session.flush()
            student = Student(student_no=f"B{n + 1:05d}", name=f"學生{n + 1:02d}", class_id=klass.id, seat=seat)
            session.add(student)
            session.flush()
            session.add(LineBinding(line_user_id=line_user, person_kind=PersonKind.student, person_id=student.id))
            for k, status in enumerate(STATUSES):
                session.add(Outcome(
                    outcome_no=f"O{n + 1:05d}-{k}", student_id=student.id, course_id=courses[k].id,
                    title=f"{courses[k].subject}成果", status=status, picked=k < 2,
                    submitted_at=None if status == OutcomeStatus.draft else now - timedelta(days=3),
                    reason="檔案無法開啟，請改存 PDF" if status == OutcomeStatus.failed else None))
            for k in range(3):
                session.add(Performance(performance_no=f"P{n + 1:05d}-{k}", student_id=student.id, year=year,
                                        category="競賽表現", title=f"比賽{k}", picked=k == 0))
    return users


def expected_replies(services: Services, users: list[str], ask: str) -> dict[str, list[dict]]:
    """What each student should get, computed through the same router and handlers in this process."""
    dispatcher = Dispatcher(services, chat_router(), mode="inline")
    expected = {}
    for line_user in users:
        ctx = EventContext.from_event(text_event(line_user, ask, "bench"), services)
        expected[line_user] = dispatcher.handle(ctx)
        if ctx.person is None:
            raise SystemExit(f"seeding failed: {line_user} is not bound")
    refusals = [[common.please_bind()], [common.try_again_later()], [common.not_for_your_role()]]
    if expected[users[0]] in refusals or not expected[users[0]]:
        raise SystemExit(f"{ask!r} gets no real answer for a bound student: {expected[users[0]]}")
    return expected


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


class Poster:
    """A load generator's connection: a POST written in one piece on a raw socket, the answer read by
    the bot's own HTTP/1.1 reader (``bot.infra.line_http.read_answer``), the connection kept while the
    server keeps it (gunicorn's sync worker closes each one). About a tenth of the CPU ``requests``
    spends on a POST, which on a box of a few cores is taken from the bot being measured."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.head = f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        self.sock: socket.socket | None = None

    def request(self, body: bytes, headers: dict[str, str]) -> bytes:
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items() if name != "Content-Type")
        return (self.head + extra + f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1") + body

    def post(self, request: bytes, timeout: float) -> int:
        """Send one prepared request; the answer's status."""
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=timeout)
                self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.sendall(request)
            answer, keep = read_answer(self.sock)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return answer.status

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def send_all(callback_url: str, ask: str, plan: Plan, start: threading.Barrier, began: list[float],
             out: LoadResult, guard: threading.Lock, client: str = "raw") -> None:
    """One connection: post its pre-signed bodies one after another, each at its planned moment (or
    at once); a connection that falls behind sends the next as soon as it can. ``client``: "raw"
    (``Poster``) or "requests" (a ``requests.Session``, as the figures before 2026-11-28's fifth session)."""
    poster = Poster(callback_url)
    bodies = []
    for user, token, at in plan:
        event = text_event(user, ask, token)
        body = callback_body([event])
        headers = {"Content-Type": "application/json", "X-Line-Signature": signature_for(SECRET, body)}
        bodies.append((token, at, event["webhookEventId"], body, headers, poster.request(body, headers)))
    sent: dict[str, tuple[float, float]] = {}
    errors: list[str] = []
    with requests.Session() as http:
        start.wait()
        for token, at, _, body, headers, prepared in bodies:
            if at is not None:
                time.sleep(max(0.0, began[0] + at - time.perf_counter()))
            posted, t0 = time.time(), time.perf_counter()
            try:
                if client == "raw":
                    status = poster.post(prepared, timeout=30)
                else:
                    status = http.post(callback_url, data=body, headers=headers, timeout=30).status_code
            except (OSError, http_client.HTTPException, requests.RequestException) as exc:
                errors.append(type(exc).__name__)
                continue
            if status != 200:
                errors.append(f"HTTP {status}")
                continue
            sent[token] = (posted, time.perf_counter() - t0)
    poster.close()
    with guard:
        out.sent.update(sent)
        out.event_ids.extend(event_id for _, _, event_id, _, _, _ in bodies)
        out.errors.extend(errors)


def generate_load(callback_url: str, ask: str, plans: list[Plan], client: str = "raw") -> LoadResult:
    """Runs in a separate process: one thread (and connection) per plan, all released together."""
    out, guard = LoadResult(), threading.Lock()
    barrier = threading.Barrier(len(plans) + 1)
    began = [0.0]
    threads = [threading.Thread(target=send_all, args=(callback_url, ask, plan, barrier, began, out, guard, client))
               for plan in plans]
    for thread in threads:
        thread.start()
    out.box_at_start = box_cpu_seconds()
    cpu = time.process_time()
    began[0] = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    out.cpu = time.process_time() - cpu
    out.duration = time.perf_counter() - began[0]
    return out


def quiet_logs() -> None:
    """werkzeug logs every request and urllib3 every recycled connection: not the app's work."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bot", choices=("both", "ours", "echo"), default="both",
                        help="both (default): the SDK's echo bot, then this bot, in one run, and their ratio")
    parser.add_argument("--requests-per-sender", type=int, default=20)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--burst", type=int, default=0, metavar="STUDENTS",
                        help="instead: this many bound students each tap once, spread over --burst-seconds")
    parser.add_argument("--burst-seconds", type=float, default=60.0)
    parser.add_argument("--connections", type=int, default=50, help="load generator connections for --burst")
    parser.add_argument("--text", default="我的進度", help="what each student sends (default 我的進度)")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="gunicorn: the Procfile's web line (default); werkzeug: threaded, in this process")
    parser.add_argument("--gunicorn-args", default="", help='appended to this bot\'s Procfile line, e.g. "--workers 2"')
    parser.add_argument("--database-url", default=None,
                        help="reset and used (default: a temporary SQLite file); e.g. postgresql+psycopg://...")
    parser.add_argument("--redis-url", default=None, help="the bot's REDIS_URL")
    parser.add_argument("--line-latency-ms", type=float, default=0.0,
                        help="the stand-in holds each answer this long (a real round trip to LINE)")
    parser.add_argument("--line-closes", action="store_true",
                        help="the stand-in closes every connection after answering (werkzeug's development server, "
                             "as in the figures before 2026-11-28's fifth session); by default it keeps them alive, "
                             "as LINE's API does")
    parser.add_argument("--client", choices=("raw", "requests"), default="raw",
                        help="the load generator's HTTP client: raw (default: a socket and the bot's HTTP reader) or "
                             "requests (as in the figures before 2026-11-28's fifth session; ten times its CPU)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for all replies")
    args = parser.parse_args(argv)
    if args.senders < 1 or args.requests_per_sender < 1 or args.burst < 0 or args.connections < 1:
        parser.error("--senders, --requests-per-sender and --connections must be at least 1")
    if args.server == "werkzeug" and args.bot != "ours":
        parser.error("--server werkzeug serves this bot only: add --bot ours")

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


@dataclass
class Measured:
    """One bot's run."""

    label: str
    total: int
    load: LoadResult
    cpu: float | None  # the server's CPU seconds during the run (gunicorn only)
    box: float  # the whole machine's CPU seconds from the first POST to the last reply
    standin_cpu: float  # this process's CPU seconds over the same time: the stand-in (and the wait for it)
    line_connections: int | None  # connections the bot opened to the stand-in (None: it closes each one)
    callback: list[float]
    reply: list[float]
    replies_per_s: float
    delivered: int
    pushed: int
    wrong: int
    failed_calls: int
    line_calls: int

    @property
    def ok(self) -> bool:
        return (not self.load.errors and self.wrong == 0 and self.pushed == 0 and self.failed_calls == 0
                and self.delivered == self.total and len(self.reply) == self.total)


def plans_for(users: list[str], standin: LineStandIn, args: argparse.Namespace) -> list[Plan]:
    """Closed loop (default): one connection per student, each sending its texts back to back.
    --burst: every student once, at moments spread evenly over --burst-seconds, on --connections."""
    if not args.burst:
        return [[(u, standin.issue_reply_token(u), None) for _ in range(args.requests_per_sender)] for u in users]
    plans: list[Plan] = [[] for _ in range(min(args.connections, len(users)))]
    step = args.burst_seconds / len(users)
    for n, u in enumerate(users):
        plans[n % len(plans)].append((u, standin.issue_reply_token(u), n * step))
    return plans


def measure(bot: str, url: str, args: argparse.Namespace, users: list[str], expected: dict[str, list[dict]],
            settings: Settings) -> Measured:
    """Serve ``bot`` with a fresh LINE stand-in and send it the load; what arrived at LINE."""
    arrived: dict[str, float] = {}

    def stamp(method: str, path: str, body: dict | None) -> list[str]:
        """The stand-in's request hook: when did the reply for each token reach "LINE"?"""
        if path.endswith("/message/reply") and body:
            arrived[body.get("replyToken", "")] = time.time()
        if args.line_latency_ms:
            time.sleep(args.line_latency_ms / 1000)  # LINE's answer takes a while to come back
        return []

    standin = LineStandIn(validator=stamp)
    line_app = Flask("line-standin")
    line_app.register_blueprint(standin.blueprint())
    quiet_logs()
    line_server = Served(line_app) if args.line_closes else KeepAliveServer(line_app)
    services = None
    if bot == "echo":
        server = Gunicorn(echo_bot_command(free_port()), gunicorn_env(line_server.url))
        label = "line-bot-sdk's Flask echo bot, gunicorn " + " ".join(server.argv[1:])
    elif args.server == "gunicorn":
        server = Gunicorn(procfile_web_command(free_port(), args.gunicorn_args),
                          gunicorn_env(line_server.url, url, args.redis_url))
        label = "this bot, gunicorn (Procfile web: " + " ".join(server.argv[1:]) + ")"
    else:
        store = make_store(args.redis_url)
        services = Services(settings=dataclasses.replace(settings, line_api_base=line_server.url),
                            db=Database(url), store=store, sender=None)
        services.sender = Sender(services.settings, services.db, store)
        server = Served(create_app(services=services))
        quiet_logs()
        label = "this bot, werkzeug threaded, in-process"

    plans = plans_for(users, standin, args)
    total = sum(len(plan) for plan in plans)
    cpu_before = server.cpu_seconds() if isinstance(server, Gunicorn) else None
    cpu = None
    box = 0.0
    standin_cpu = time.process_time()
    try:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            pending = pool.apply_async(generate_load, (server.url + "/callback", args.text, plans, args.client))
            deadline = time.perf_counter() + args.burst_seconds * bool(args.burst) + args.timeout
            while time.perf_counter() < deadline:
                if pending.ready() and sum(len(standin.sent_to(u)) for u in users) >= total:
                    break
                time.sleep(0.005)
            if not pending.ready():
                raise SystemExit(f"the senders did not finish within --timeout {args.timeout:.0f} s")
            load = pending.get()
            box = box_cpu_seconds() - load.box_at_start
            standin_cpu = time.process_time() - standin_cpu
            time.sleep(0.5)  # a late push (which should not come) would still be counted
            if cpu_before is not None:
                cpu = server.cpu_seconds() - cpu_before
    finally:
        server.stop()
        if services is not None:
            services.close()
        line_server.stop()

    deliveries = [(u, d) for u in users for d in standin.sent_to(u)]
    first = min((posted for posted, _ in load.sent.values()), default=0.0)
    last = max(arrived.values(), default=first)
    want = (lambda u: [{"type": "text", "text": args.text}]) if bot == "echo" else expected.__getitem__
    return Measured(
        label=label, total=total, load=load, cpu=cpu, box=box, standin_cpu=standin_cpu,
        line_connections=line_server.connections() if isinstance(line_server, KeepAliveServer) else None,
        callback=sorted(latency for _, latency in load.sent.values()),
        reply=sorted(arrived[t] - posted for t, (posted, _) in load.sent.items() if t in arrived),
        replies_per_s=len(arrived) / (last - first) if last > first else 0.0,
        delivered=len(deliveries), pushed=sum(1 for _, d in deliveries if d.via != "reply"),
        wrong=sum(1 for u, d in deliveries if d.via != "reply" or d.messages != want(u)),
        failed_calls=sum(1 for r in standin.requests if r.status != 200), line_calls=len(standin.requests))


def run(url: str, args: argparse.Namespace) -> int:
    reset_database(url)
    students = args.burst or args.senders
    db = Database(url)
    settings = Settings(channel_secret=SECRET, channel_access_token=TOKEN, line_api_base="http://127.0.0.1:9",
                        database_url=url, redis_url=args.redis_url, local_mode=False)
    users = seed(db, students, settings.tz)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # as a school's database is, with its planner statistics (and, on PostgreSQL, what autovacuum leaves)
        conn.execute(text("ANALYZE" if db.is_sqlite else "VACUUM ANALYZE"))
    expected: dict[str, list[dict]] = {}
    if args.bot != "echo":
        local = Services(settings=settings, db=db, store=MemoryStore(), sender=Sender(settings, db, MemoryStore()))
        expected = expected_replies(local, users, args.text)
        local.sender.close()
    backend = make_url(db.url).get_backend_name()
    db.dispose()

    bots = ("echo", "ours") if args.bot == "both" else (args.bot,)
    results = [measure(bot, url, args, users, expected, settings) for bot in bots]

    if args.burst:
        print(f"webhook bench, burst: {students} bound students each send '{args.text}' once, spread over "
              f"{args.burst_seconds:.0f} s on {min(args.connections, students)} connections; "
              f"database={backend}, store={'redis' if args.redis_url else 'memory'}")
    else:
        print(f"webhook bench: {args.senders} senders x {args.requests_per_sender} '{args.text}' from bound students "
              f"(7 courses, 6 outcomes, 3 performances each); "
              f"database={backend}, store={'redis' if args.redis_url else 'memory'}")
    print(f"  machine         {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    if args.line_latency_ms:
        print(f"  LINE latency    {args.line_latency_ms:.0f} ms added to every answer of the stand-in")
    for r in results:
        print(f"  [{r.label}]")
        print(f"  requests        {r.total} (200 OK: {len(r.callback)}, errors: {len(r.load.errors)})")
        print(f"  duration        {r.load.duration:.2f} s (first POST to last /callback answer)")
        print(f"  throughput      {len(r.callback) / r.load.duration:.1f} req/s")
        print(f"  replies/s       {r.replies_per_s:.1f} (replies at LINE / first POST to last reply)")
        if r.cpu is not None and r.delivered:
            print(f"  server CPU      {r.cpu:.2f} s, {r.cpu / r.delivered * 1000:.2f} ms a reply")
        if r.delivered:
            print(f"  machine CPU     {r.box:.2f} s, {r.box / r.delivered * 1000:.2f} ms a reply "
                  "(every process: load generator, stand-in, database, Redis, bot)")
            print(f"  bench's own CPU load generator {r.load.cpu / r.delivered * 1000:.2f} ms, "
                  f"LINE stand-in {r.standin_cpu / r.delivered * 1000:.2f} ms a reply")
        for name, values in (("/callback 200", r.callback), ("reply at LINE", r.reply)):
            if values:
                print(f"  {name:<15} p50 {percentile(values, 50) * 1000:.1f} ms, "
                      f"p99 {percentile(values, 99) * 1000:.1f} ms, max {values[-1] * 1000:.1f} ms")
        if r.line_connections is not None:
            print(f"  LINE connections {r.line_connections} opened for {r.line_calls} calls")
        print(f"  replies         {r.delivered}/{r.total} delivered, {r.wrong} not the expected answer by reply, "
              f"{r.pushed} by push, {r.failed_calls} LINE calls not 200")
        if r.load.errors:
            print(f"  errors          {sorted(set(r.load.errors))}")
    if len(results) == 2 and results[0].replies_per_s:
        echo, ours = results
        print(f"  ratio           this bot / echo bot = {ours.replies_per_s / echo.replies_per_s:.2f} (replies/s)"
              + (f"; CPU a reply {ours.cpu / ours.delivered / (echo.cpu / echo.delivered):.2f}x the echo bot's"
                 if echo.cpu and ours.cpu and echo.delivered and ours.delivered else "")
              + (f"; machine CPU a reply {ours.box / ours.delivered / (echo.box / echo.delivered):.2f}x"
                 if echo.box and ours.box and echo.delivered and ours.delivered else ""))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
