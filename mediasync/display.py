"""What `sync` shows while it runs and when it is done, at the verbosity asked for.

On a terminal: a live progress bar per target (files and bytes, rate, time left) and, at the
end, the problems and a summary table. Elsewhere (cron, a pipe, a log file): the problems and
one summary line, nothing per file. `-v` adds a line per file everywhere; `-q` keeps only the
problems. Either way every rejected or failed file is listed once, with its reason.
"""

from __future__ import annotations

from enum import Enum
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from mediasync.engine import SyncReport
from mediasync.models import Outcome, Plan
from mediasync.report import (
    Traffic,
    nothing_to_do,
    print_problems,
    print_progress,
    summary_counts,
    summary_line,
)


class Verbosity(Enum):
    QUIET = "quiet"
    NORMAL = "normal"
    VERBOSE = "verbose"


class Board:
    """One live progress display shared by every target of a run (rich shows one at a time)."""

    def __init__(self, console: Console, live: bool) -> None:
        self.live = live
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[files]} files"),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not live,
        )

    def __enter__(self) -> Board:
        if self.live:
            self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.live:
            self.progress.stop()


class SyncDisplay:
    """One target's share of the output: fed the plan, each outcome, then the report."""

    def __init__(
        self, console: Console, verbosity: Verbosity, board: Board, name: str = ""
    ) -> None:
        self._console = console
        self._verbosity = verbosity
        self._board = board
        self._name = name or "sync"
        self._task: TaskID | None = None
        self._done_files = 0
        self._total_files = 0

    def planned(self, plan: Plan) -> None:
        if not self._board.live or self._verbosity is Verbosity.QUIET:
            return
        total = sum(a.local.size for a in plan.uploads if a.local is not None)
        self._total_files = len(plan.uploads) + len(plan.deletes)
        if not self._total_files:
            return
        self._task = self._board.progress.add_task(
            self._name, total=max(total, 1), files=f"0/{self._total_files}"
        )

    def outcome(self, outcome: Outcome) -> None:
        if self._task is not None:
            self._done_files += 1
            sent = outcome.action.local.size if outcome.action.local is not None else 0
            self._board.progress.update(
                self._task, advance=sent, files=f"{self._done_files}/{self._total_files}"
            )
        # Problems wait for the end, so each is listed once, beside what to do about it.
        if self._verbosity is Verbosity.VERBOSE:
            print_progress(self._console, outcome)

    def stopped(self, traffic: Traffic) -> None:
        """A fatal error ended the pass; the error itself is printed by the caller."""
        if self._task is not None:
            self._board.progress.remove_task(self._task)
            self._task = None
        self._console.print(f"sync stopped; {traffic.describe()}")

    def finish(self, report: SyncReport, traffic: Traffic) -> None:
        if self._task is not None:
            self._board.progress.remove_task(self._task)
        if report.interrupted and report.plan == Plan() and not report.outcomes:
            return  # cut off before it had planned: the caller says it was interrupted
        print_problems(self._console, report)
        if self._verbosity is Verbosity.QUIET:
            return
        if self._board.live and not nothing_to_do(report):
            self._console.print(summary_table(report, traffic))
        else:
            self._console.print(summary_line(report, traffic))


def summary_table(report: SyncReport, traffic: Traffic) -> Table:
    counts = {k: v for k, v in summary_counts(report).items() if v or k in _ALWAYS}
    table = Table(title="sync", title_justify="left", show_edge=False, pad_edge=False)
    for key in counts:
        table.add_column(key, justify="right")
    table.add_column("requests", justify="right")
    table.add_column("429s", justify="right")
    table.add_row(*(str(v) for v in counts.values()), str(traffic.requests), str(traffic.throttled))
    return table


_ALWAYS = ("uploaded", "replaced", "deleted", "unchanged", "rejected", "failed")
