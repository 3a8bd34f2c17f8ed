"""The demo runs the worker's jobs: reminders reach the demo people in the simulator."""
from __future__ import annotations

import time

from bot.demo import start_demo
from tests.helpers import texts_of


def test_the_demo_scheduler_sweeps_at_start_and_reminders_reach_the_simulator(tmp_path):
    running = start_demo("127.0.0.1", 0, tmp_path / "demo.sqlite3")
    try:
        assert {job.id for job in running.scheduler.get_jobs()} >= {"sweep", "deemed", "outbox", "retention"}
        standin = running.app.extensions["line_standin"]
        people = {p.user_id for p in running.demo.people}
        deadline = time.monotonic() + 30
        reminded: dict[str, str] = {}
        while time.monotonic() < deadline and not reminded:
            time.sleep(0.5)
            for user_id in people:
                pushed = [d for d in standin.sent_to(user_id) if d.via in ("push", "multicast")]
                if pushed:
                    reminded[user_id] = texts_of(pushed[-1].messages)
        assert reminded, "no reminder reached the simulator within 30 s"
        assert all("學習歷程提醒" in text for text in reminded.values())
        assert all(len([d for d in standin.sent_to(u) if d.via != "reply"]) == 1 for u in reminded)  # one each
    finally:
        running.stop()
