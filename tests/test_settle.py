"""The settler by tables: (what each look saw, when) → what it decided, when."""

from __future__ import annotations

import pytest

from mediasync.models import LocalFile, Rejection
from mediasync.settle import Look, Settler, Verdict

A = LocalFile("a.png", 10, 1)
A2 = LocalFile("a.png", 20, 2)
A3 = LocalFile("a.png", 30, 3)
FIFO = Rejection("a.png", "not a regular file")

# (events: [(time, seen)], checks: [(time, seen, expected verdict)]) with settle 2, deferral 10.
CASES: dict[str, tuple[list[tuple[float, Look]], list[tuple[float, Look, Verdict]]]] = {
    "still file is ready one window after its change": (
        [(0.0, A)],
        [(2.0, A, Verdict.READY)],
    ),
    "a file that grew since the event waits another window": (
        [(0.0, A)],
        [(2.0, A2, Verdict.WAIT), (4.0, A2, Verdict.READY)],
    ),
    "a path gone both times is ready (a delete)": (
        [(0.0, None)],
        [(2.0, None, Verdict.READY)],
    ),
    "a path that came back waits": (
        [(0.0, None)],
        [(2.0, A, Verdict.WAIT), (4.0, A, Verdict.READY)],
    ),
    "a special file that stays is ready (to be reported)": (
        [(0.0, FIFO)],
        [(2.0, FIFO, Verdict.READY)],
    ),
    "a file that never holds still is forced at the deferral": (
        [(0.0, A)],
        [
            (2.0, A2, Verdict.WAIT),
            (4.0, A3, Verdict.WAIT),
            (6.0, A2, Verdict.WAIT),
            (8.0, A3, Verdict.WAIT),
            (10.0, A2, Verdict.FORCED),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_settler_table(name: str) -> None:
    events, checks = CASES[name]
    for _ in range(2):  # twice: the same inputs give the same answers
        settler = Settler(window=2.0, max_deferral=10.0)
        for at, seen in events:
            settler.note("a.png", seen, at, epoch=1)
        for at, seen, expected in checks:
            assert settler.next_due() == at
            assert settler.due(at - 0.001) == []
            assert settler.due(at) == ["a.png"]
            assert settler.check("a.png", seen, at) is expected
        assert "a.png" not in settler
        assert settler.next_due() is None


def test_each_change_pushes_the_check_back_a_window() -> None:
    settler = Settler(window=2.0, max_deferral=10.0)
    settler.note("a.png", A, 0.0, epoch=1)
    settler.note("a.png", A2, 1.5, epoch=2)
    assert settler.next_due() == 3.5
    assert settler.epoch_of("a.png") == 1  # the first change counts for delete ordering


def test_changes_never_push_the_check_past_the_deferral() -> None:
    settler = Settler(window=2.0, max_deferral=5.0)
    settler.note("a.png", A, 0.0, epoch=1)
    for at in (1.0, 2.0, 3.0, 4.0, 4.5):
        settler.note("a.png", A2 if at % 2 else A3, at, epoch=1)
    assert settler.next_due() == 5.0


def test_a_held_path_waits_for_recheck() -> None:
    settler = Settler(window=2.0, max_deferral=10.0)
    settler.note("a.png", A, 0.0, epoch=1)
    settler.hold("a.png")
    assert settler.due(1000.0) == []
    settler.recheck_now("a.png", 7.0)
    assert settler.due(7.0) == ["a.png"]


def test_waiting_files_are_the_uploads_to_come() -> None:
    settler = Settler(window=2.0, max_deferral=10.0)
    settler.note("a.png", A, 0.0, epoch=3)
    settler.note("gone.png", None, 0.0, epoch=1)
    settler.note("pipe.png", FIFO, 0.0, epoch=1)
    assert settler.waiting_files() == {"a.png": 3}
    assert len(settler) == 3
    settler.forget("a.png")
    assert settler.waiting_files() == {}
