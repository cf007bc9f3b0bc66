"""Per-file lines (`sync -v`, the daemon): the same words on a terminal and off it, one line
each, with names escaped."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from mediasync.engine import SyncReport
from mediasync.logs import configure
from mediasync.models import Action, ActionKind, Outcome, OutcomeKind, Plan, StateEntry
from mediasync.report import print_outcome, print_problems

PATH = "a/[b] c\x1b.png"
ENTRY = StateEntry(PATH, 1, 2, "h", "r1", "https://x/r1.png", None, 3.0)
OUTCOMES = [
    Outcome(OutcomeKind.UPLOADED, Action(ActionKind.UPLOAD, PATH), ENTRY),
    Outcome(OutcomeKind.UPLOADED, Action(ActionKind.REPLACE, PATH), ENTRY, reason="sent as png"),
    Outcome(OutcomeKind.DELETED, Action(ActionKind.DELETE_STALE, PATH)),
    Outcome(OutcomeKind.UNCHANGED, Action(ActionKind.REPLACE, PATH), ENTRY),
    Outcome(OutcomeKind.REJECTED, Action(ActionKind.UPLOAD, PATH), reason="empty [file]"),
    Outcome(OutcomeKind.FAILED, Action(ActionKind.UPLOAD, PATH), reason="500\nboom"),
]


def printed(outcome: Outcome, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out, force_terminal=terminal, color_system=None, highlight=False, soft_wrap=True
    )
    print_outcome(console, outcome)
    return out.getvalue()


@pytest.mark.parametrize("outcome", OUTCOMES, ids=lambda o: o.kind.value)
def test_plain_lines_read_as_rich_ones(outcome: Outcome) -> None:
    assert printed(outcome, terminal=False) == printed(outcome, terminal=True)


def test_a_line_is_one_line_with_the_name_escaped() -> None:
    line = printed(OUTCOMES[0], terminal=False)
    assert line == "uploaded a/[b] c\\x1b.png → https://x/r1.png\n"


def test_the_daemon_log_says_a_renamed_file_got_a_new_url_and_why() -> None:
    stream = io.StringIO()
    log = configure("text", stream, name="test.report.rename")
    previous = StateEntry("a.png", 1, 2, "h", "r0", "https://x/r0.png", None, 3.0)
    action = Action(ActionKind.RENAME, PATH, previous=previous)
    why = "renamed from a.png with new content: uploaded anew and the old copy deleted"
    log.outcome(Outcome(OutcomeKind.UPLOADED, action, ENTRY, reason=why))
    line = stream.getvalue().split(" ", 1)[1]
    assert line == f"renamed a/[b] c\\x1b.png → https://x/r1.png ({why})\n"


def test_a_copy_left_in_place_by_recovery_is_listed_with_what_to_do() -> None:
    out = io.StringIO()
    console = Console(file=out, color_system=None, highlight=False, soft_wrap=True)
    print_problems(console, SyncReport(Plan(), left_in_place=("a/new.png",)))
    line = out.getvalue()
    assert line.startswith("check a/new.png: an interrupted run may have left a copy")
    assert "mediasync manifest" in line and line.count("\n") == 1
