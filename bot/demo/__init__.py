"""`portfolio-bot demo`: the demo school, web + scheduler + local LINE simulator in one process.

Every run starts from a fresh SQLite file in the instance folder and the in-process
store. The webhook is signed with an ephemeral channel secret and the sender talks
to the LINE stand-in mounted on this same server (``/_line``), so every message takes
the real path: page -> signed webhook -> dispatcher -> handler -> sender -> "LINE".
"""
from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, time as day_time
from pathlib import Path

import click
from werkzeug.serving import BaseWSGIServer, make_server

from bot.demo.school import DemoSchool, seed_demo_school
from bot.domain.richmenu import RichMenuError, deploy as deploy_rich_menus
from bot.infra.config import Settings, default_instance_path
from bot.infra.services import Services

DEMO_DB_NAME = "demo.sqlite3"
IGNORED_ENV = ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE", "LINE_DATA_API_BASE",
               "DATABASE_URL", "REDIS_URL")


class _LateApp:
    """A WSGI shim: the server binds first (so port 0 resolves), the app is attached after."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class DemoServer:
    """A running demo: its server thread, scheduler and services."""

    server: BaseWSGIServer
    thread: threading.Thread
    services: Services
    scheduler: object
    app: object
    demo: DemoSchool
    url: str

    @property
    def simulator_url(self) -> str:
        return f"{self.url}/simulator"

    def stop(self) -> None:
        # The scheduler first, waiting for a running sweep: its pushes go to this server's stand-in,
        # which must still answer (stopped first, every push would be retried against a closed port).
        self.scheduler.shutdown(wait=True)
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.services.close()


def fresh_sqlite(db_path: Path) -> str:
    """Remove any earlier demo database (and its WAL files); return the URL of a new one."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db_path.resolve()}"


def demo_settings(database_url: str, line_api_base: str, public_url: str = "") -> Settings:
    return Settings(
        channel_secret=secrets.token_hex(16),  # ephemeral: only this process signs and checks
        channel_access_token="demo-token",
        line_api_base=line_api_base,
        line_data_api_base=line_api_base,  # the stand-in also plays LINE's data API (rich menu images)
        database_url=database_url,
        redis_url=None,
        local_mode=True,
        quiet_hours=(day_time(0, 0), day_time(0, 0)),  # no quiet hours: the demo shows reminders at any hour
        public_url=public_url,  # console sign-in links point at the demo itself
        # 「前往平臺認證」 opens the demo's stand-in for the school's platform (bot/demo/simulator/page.py)
        platform_url=f"{public_url}/simulator/platform" if public_url else "",
    )


def _port_taken(port: int) -> str:
    return f"連接埠 {port} 已被其他程式使用（可用 --port 換一個）"


def _check_port(host: str, port: int) -> None:
    """Fail before seeding, in zh-TW, when the port is taken (werkzeug would print English and exit)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(_port_taken(port)) from exc


def start_demo(host: str = "127.0.0.1", port: int = 8000, db_path: str | Path | None = None,
               now: datetime | None = None) -> DemoServer:
    """Seed a fresh demo school and serve it (in a thread) on ``host:port`` (0: any free port)."""
    from bot import chat_router, create_app
    from bot.demo.simulator.greeting import demo_router
    from bot.infra.db import Database
    from bot.infra.migrate import upgrade
    from scheduler.worker import build_scheduler

    db_path = Path(db_path) if db_path else Path(default_instance_path()) / DEMO_DB_NAME
    url = fresh_sqlite(db_path)
    upgrade(url)

    shim = _LateApp()
    _check_port(host, port)
    try:
        server = make_server(host, port, shim, threaded=True)
    except SystemExit as exc:  # werkzeug exits (after an English line) when the port is taken
        raise OSError(_port_taken(port)) from exc
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{server.server_port}"
    settings = demo_settings(url, f"{base}/_line", base)
    today = (now or datetime.now(settings.tz)).astimezone(settings.tz).date()
    seeding = Database(url)
    with seeding.session() as session:
        demo = seed_demo_school(session, today, settings.tz)
    seeding.dispose()

    services = Services.build(settings)
    app = create_app(services=services, router=demo_router(demo, chat_router()))
    app.extensions["demo_school"] = demo
    shim.app = app
    scheduler = build_scheduler(services, background=True)
    scheduler.start()
    thread = threading.Thread(target=server.serve_forever, name="demo-web", daemon=True)
    thread.start()
    running = DemoServer(server, thread, services, scheduler, app, demo, base)
    try:  # every role's rich menu on the stand-in, so the simulator shows each person theirs
        deploy_rich_menus(services)
    except Exception:  # never half a demo: stop what was started; the caller says why
        running.stop()
        raise
    return running


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="監聽的位址（0.0.0.0：讓區網其他電腦也能開啟）。")
@click.option("--port", default=8000, show_default=True, type=int, help="監聽的連接埠。")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="示範用的 SQLite 檔，每次啟動都重新建立（預設：instance/demo.sqlite3）。")
def demo_command(host: str, port: int, db_path: str | None) -> None:
    """在本機執行示範學校與 LINE 模擬器。

    網站、排程與本機 LINE 模擬器在同一個程式裡啟動，每次都用全新的 SQLite 檔；印出要開啟的網址。
    """
    ignored = [name for name in IGNORED_ENV if os.environ.get(name)]
    if ignored:
        click.echo(f"注意：示範模式不使用 {', '.join(ignored)}（改用全新的 SQLite 與本機 LINE 模擬）。")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the page polls; keep the console readable
    # Ctrl-C ends the demo even when it was started in the background (`portfolio-bot demo &`),
    # where the shell hands it SIGINT ignored and Python would leave it so.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        running = start_demo(host, port, db_path)
    except OSError as exc:
        raise click.ClickException(f"無法在 {host}:{port} 啟動：{exc.strerror or exc}") from exc
    except RichMenuError as exc:
        raise click.ClickException(f"示範無法啟動：{exc}") from exc
    demo = running.demo
    click.echo(f"示範學校已建立（{demo.term_label} 學期，{len(demo.people)} 位示範人物；"
               f"未綁定的示範學生 {demo.unbound_student.name} 的綁定碼顯示在模擬器頁面上）。")
    click.echo(f"請用瀏覽器開啟：{running.simulator_url}")
    click.echo("按 Ctrl-C 結束。")
    try:
        while running.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("\n正在結束…")
    finally:
        running.stop()
