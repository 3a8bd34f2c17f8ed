"""The benchmarks still run against today's code (tiny sizes, a temporary SQLite file, no timing
asserted): a bench that rots silently reports nothing when it is needed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_webhook_bench_runs_the_echo_bot_and_the_procfile_command_and_checks_every_reply():
    out = run_bench("bench_webhook.py", "--senders", "3", "--requests-per-sender", "2")
    echo, ours = out.split("[line-bot-sdk's Flask echo bot")[1].split("[this bot, gunicorn (Procfile web: -c python:bot.web.gunicorn_conf bot:create_app()")
    for block in (echo, ours):
        assert "requests        6 (200 OK: 6, errors: 0)" in block
        assert "replies         6/6 delivered, 0 not the expected answer by reply, 0 by push, 0 LINE calls not 200" in block
        assert "/callback 200   p50" in block and "reply at LINE   p50" in block and "replies/s" in block
        assert "machine CPU     " in block
    # The stand-in keeps connections alive, as LINE does: the echo bot opens a client (and a connection) per event
    assert "LINE connections 6 opened for 6 calls" in echo
    assert "LINE connections " in ours
    assert "ratio           this bot / echo bot = " in ours


def test_webhook_bench_burst_answers_every_student_once_by_reply():
    # on the earlier harness (requests, and werkzeug's stand-in closing each connection), which stays runnable
    out = run_bench("bench_webhook.py", "--bot", "ours", "--burst", "30", "--burst-seconds", "2",
                    "--connections", "5", "--line-latency-ms", "100", "--client", "requests", "--line-closes")
    assert "burst: 30 bound students each send '我的進度' once, spread over 2 s on 5 connections" in out
    assert "replies         30/30 delivered, 0 not the expected answer by reply, 0 by push, 0 LINE calls not 200" in out
    assert "LINE connections" not in out  # werkzeug's server: one connection a call, not counted


def test_import_bench_imports_first_again_and_changed():
    out = run_bench("bench_import.py", "--students", "60", "--outcomes", "300")
    for label in ("first import", "re-import (no change)", "status change", "CLI first import"):
        assert label in out, out
    assert "'outcomes': (300, 0, 0)" in out and "'outcomes': (0, 300, 0)" in out
