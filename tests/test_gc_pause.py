"""The collector pause a big sweep plans and records under (bot.infra.gc_pause)."""
from __future__ import annotations

import gc

import pytest

from bot.infra.gc_pause import paused_gc


@pytest.fixture(autouse=True)
def collector_back_on():
    yield
    gc.enable()


def test_paused_inside_and_on_again_after_even_when_the_block_raises():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with paused_gc():
            raise RuntimeError("a sweep failed")
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outermost_and_a_collector_already_off_stays_off():
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()   # the inner pause ending does not turn it back on
    assert gc.isenabled()
    gc.disable()                    # someone else turned it off: leave it so
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_a_sweep_plans_with_the_collector_paused_and_sends_with_it_on(services, line_api, db, monkeypatch):
    """Planning and recording run paused; delivery (HTTP, retries) runs with the collector back on."""
    import scheduler.sweep as sweep_module
    from tests.reminder_factories import local, school_with_upload_window

    school_with_upload_window(db)
    seen: dict[str, bool] = {}
    real_collect, real_deliver = sweep_module.collect, sweep_module._deliver_all

    def collect(session, ctx, reading=None):
        seen["collecting"] = gc.isenabled()
        return real_collect(session, ctx, reading)

    def deliver_all(services, outbox_ids):
        seen["delivering"] = gc.isenabled()
        return real_deliver(services, outbox_ids)

    monkeypatch.setattr(sweep_module, "collect", collect)
    monkeypatch.setattr(sweep_module, "_deliver_all", deliver_all)
    report = sweep_module.run_sweep(services, local("2026-11-02 08:05"))
    assert report.people == 4 and len(line_api.requests) > 0
    assert seen == {"collecting": False, "delivering": True} and gc.isenabled()
