"""The opt-in phase timings: recorded on an injected clock, printed only when asked for."""

from __future__ import annotations

from mediasync.timings import Timings, since_process_start, wanted


def test_phases_add_up_and_read_in_order() -> None:
    ticks = iter([0.0, 0.5, 1.0, 1.25, 2.0, 2.5])
    timings = Timings(clock=lambda: next(ticks))
    with timings.phase("scan"):
        pass
    with timings.phase("plan"):
        pass
    with timings.phase("scan"):
        pass
    assert timings.phases == {"scan": 1.0, "plan": 0.25}
    assert timings.describe() == "timings: scan 1.000 s, plan 0.250 s"


def test_printing_is_opt_in() -> None:
    assert not wanted({})
    assert not wanted({"MEDIASYNC_TIMINGS": "0"})
    assert wanted({"MEDIASYNC_TIMINGS": "1"})


def test_process_age_is_known_on_linux() -> None:
    age = since_process_start()
    assert age is None or age >= 0.0
