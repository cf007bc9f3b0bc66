"""What `sync` prints at each verbosity, on a terminal (live bar, table) and off one (cron)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from mediasync.cli import main
from mediasync.display import Board, SyncDisplay, Verbosity
from mediasync.engine import SyncReport
from mediasync.models import (
    Action,
    ActionKind,
    LocalFile,
    Outcome,
    OutcomeKind,
    Plan,
    Rejection,
    StateEntry,
)
from mediasync.report import Traffic

UPLOAD = Action(ActionKind.UPLOAD, "a.png", local=LocalFile("a.png", 2048, 1))
ENTRY = StateEntry("a.png", 2048, 1, "h", "id1", "https://cdn/a.png", None, 1.0)
PLAN = Plan(uploads=(UPLOAD,), rejections=(Rejection("bad.png", "empty file"),))
DONE = Outcome(OutcomeKind.UPLOADED, UPLOAD, entry=ENTRY)


def show(verbosity: Verbosity, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out, force_terminal=terminal, width=120, highlight=False, color_system=None
    )
    with Board(console, terminal and verbosity is not Verbosity.QUIET) as board:
        display = SyncDisplay(console, verbosity, board)
        display.planned(PLAN)
        display.outcome(DONE)
        display.finish(SyncReport(PLAN, outcomes=[DONE]), Traffic(7, 1))
    return out.getvalue()


def test_off_a_terminal_only_the_problems_and_one_summary_line() -> None:
    lines = show(Verbosity.NORMAL, terminal=False).splitlines()
    assert lines == [
        "rejected bad.png: empty file",
        "sync: 1 uploaded, 0 replaced, 0 deleted, 0 unchanged, 1 rejected, 0 failed; "
        "7 requests, 1 rate-limited (429)",
    ]


def test_verbose_adds_a_line_per_file() -> None:
    text = show(Verbosity.VERBOSE, terminal=False)
    assert "uploaded a.png → https://cdn/a.png" in text
    assert text.splitlines()[-1].startswith("sync: 1 uploaded")


def test_quiet_prints_only_the_problems() -> None:
    assert show(Verbosity.QUIET, terminal=False).splitlines() == ["rejected bad.png: empty file"]


def test_on_a_terminal_the_summary_is_a_table() -> None:
    text = show(Verbosity.NORMAL, terminal=True)
    assert "rejected bad.png: empty file" in text
    header = next(line for line in text.splitlines() if "uploaded" in line and "429s" in line)
    assert "requests" in header and "failed" in header
    assert "sync: 1 uploaded" not in text  # the table replaces the line


def test_the_bar_counts_files_and_bytes() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    with Board(console, live=True) as board:
        display = SyncDisplay(console, Verbosity.NORMAL, board, "east")
        display.planned(PLAN)
        (task,) = board.progress.tasks
        assert (task.description, task.total, task.fields["files"]) == ("east", 2048, "0/1")
        display.outcome(DONE)
        assert (task.completed, task.fields["files"]) == (2048, "1/1")
        display.finish(SyncReport(PLAN, outcomes=[DONE]), Traffic(1, 0))
        assert board.progress.tasks == []


def test_quiet_and_verbose_together_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "mediasync.toml"
    config.write_text('[remote]\nlocation_id = "L"\n\n[local]\npath = "."\n')
    result = CliRunner().invoke(main, ["sync", "-c", str(config), "-q", "-v"])
    assert result.exit_code == 2 and "cannot go together" in result.output


def finished(report: SyncReport, verbosity: Verbosity, terminal: bool) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=terminal, width=120, color_system=None)
    with Board(console, live=terminal) as board:
        SyncDisplay(console, verbosity, board).finish(report, Traffic(1, 0))
    return out.getvalue()


@pytest.mark.parametrize("terminal", [False, True])
@pytest.mark.parametrize("verbosity", [Verbosity.NORMAL, Verbosity.VERBOSE])
def test_nothing_to_do_still_prints_its_summary_line(verbosity: Verbosity, terminal: bool) -> None:
    text = finished(SyncReport(Plan()), verbosity, terminal)
    line = (
        "sync: nothing to do: no files to sync in the folder and none recorded; "
        "1 requests, 0 rate-limited (429)\n"
    )
    if terminal:  # the live bar's cursor codes come around it; the line, not a table of zeros
        assert text.count(line) == 1 and "429s" not in text
    else:
        assert text == line


def test_nothing_to_do_quietly_prints_nothing() -> None:
    assert finished(SyncReport(Plan()), Verbosity.QUIET, terminal=False) == ""


def test_a_pass_cut_off_before_it_planned_leaves_the_word_to_the_caller() -> None:
    report = SyncReport(Plan(), interrupted=True)
    assert finished(report, Verbosity.VERBOSE, terminal=False) == ""
