"""How a sync pass reads on the terminal: one line per file, one summary line, and exit codes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from mediasync.engine import SyncReport
from mediasync.models import ActionKind, Outcome, OutcomeKind, Plan
from mediasync.scan import printable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_FATAL = 3
EXIT_DELETE_GUARD = 4
EXIT_LOCKED = 5

_VERBS = {
    (OutcomeKind.UPLOADED, ActionKind.UPLOAD): "uploaded",
    (OutcomeKind.UPLOADED, ActionKind.REPLACE): "replaced",
    (OutcomeKind.UPLOADED, ActionKind.RESTORE): "restored",
    (OutcomeKind.DELETED, ActionKind.DELETE): "deleted",
    (OutcomeKind.DELETED, ActionKind.DELETE_STALE): "removed old copy of",
}


def print_outcome(console: Console, outcome: Outcome) -> None:
    verb, style, rest = _outcome_line(outcome)
    if console.is_terminal:
        console.print(f"[{style}]{verb}[/] {escape(rest)}")
    else:
        # A pipe, a log file, cron: rich would write the very same characters, but at about
        # 140 µs a line, a sizeable share of what a whole small upload costs.
        console.file.write(f"{verb} {rest}\n")


def _outcome_line(outcome: Outcome) -> tuple[str, str, str]:
    """(verb, style, the rest of the line as plain printable text) for one outcome."""
    path = printable(outcome.path)
    if outcome.kind is OutcomeKind.UPLOADED:
        url = printable(outcome.entry.url) if outcome.entry else ""
        note = f"  ({printable(outcome.reason)})" if outcome.reason else ""
        return _VERBS[(outcome.kind, outcome.action.kind)], "green", f"{path} → {url}{note}"
    if outcome.kind is OutcomeKind.DELETED:
        return _VERBS[(outcome.kind, outcome.action.kind)], "yellow", path
    if outcome.kind is OutcomeKind.UNCHANGED:
        return "unchanged", "dim", f"{path} (only its timestamp moved)"
    reason = printable(outcome.reason)
    if outcome.kind is OutcomeKind.REJECTED:
        return "rejected", "magenta", f"{path}: {reason}"
    return "failed", "red", f"{path}: {reason}"


def print_plan(console: Console, plan: Plan) -> None:
    for action in plan.uploads:
        verb = f"would {action.kind.value}"
        console.print(f"{verb} {shown(action.path)}")
    for rejection in plan.rejections:
        console.print(f"would reject {shown(rejection.path)}: {shown(rejection.reason)}")
    for action in plan.deletes:
        if plan.delete_blocked and action.kind is ActionKind.DELETE:
            continue
        what = "old copy of " if action.kind is ActionKind.DELETE_STALE else ""
        console.print(f"would delete {what}{shown(action.path)}")
    if plan.delete_blocked:
        console.print(f"[red]delete guard:[/] {shown(plan.delete_blocked)}")
    console.print(
        f"dry run: {len(plan.uploads)} to send, {len(plan.deletes)} to delete, "
        f"{len(plan.rejections)} rejected, {plan.unchanged} unchanged; nothing was changed"
    )


@dataclass(frozen=True, slots=True)
class Traffic:
    """What the run cost in API requests, and how often the service said "too many"."""

    requests: int
    throttled: int

    def describe(self) -> str:
        return f"{self.requests} requests, {self.throttled} rate-limited (429)"


def print_summary(console: Console, report: SyncReport, traffic: Traffic | None = None) -> None:
    for rejection in report.plan.rejections:
        console.print(f"[magenta]rejected[/] {shown(rejection.path)}: {shown(rejection.reason)}")
    for path in report.plan.missing:
        console.print(
            f"[red]missing remotely[/] {shown(path)}: deleted in the library; not re-sent "
            + shown('([sync] missing_remote = "report")')
        )
    if report.deletes_skipped:
        console.print(f"[red]deletes not done:[/] {shown(report.deletes_skipped)}")
    uploaded = report.count(OutcomeKind.UPLOADED, ActionKind.UPLOAD)
    replaced = report.count(OutcomeKind.UPLOADED, ActionKind.REPLACE)
    restored = report.count(OutcomeKind.UPLOADED, ActionKind.RESTORE)
    deleted = report.count(OutcomeKind.DELETED, ActionKind.DELETE)
    rejected = report.count(OutcomeKind.REJECTED) + len(report.plan.rejections)
    unchanged = report.plan.unchanged + report.count(OutcomeKind.UNCHANGED)
    adopted = f", {report.adopted} recovered" if report.adopted else ""
    adopted += f", {restored} restored" if restored else ""
    adopted += f", {len(report.plan.missing)} missing remotely" if report.plan.missing else ""
    cost = f"; {traffic.describe()}" if traffic else ""
    console.print(
        f"sync: {uploaded} uploaded, {replaced} replaced, {deleted} deleted, "
        f"{unchanged} unchanged, {rejected} rejected, {report.failed} failed{adopted}{cost}"
    )


def exit_code_for(report: SyncReport) -> int:
    if report.failed:
        return EXIT_FAILED
    if report.plan.delete_blocked:
        return EXIT_DELETE_GUARD
    return EXIT_OK


def exit_code_for_plan(plan: Plan) -> int:
    if plan.fatal:
        return EXIT_FATAL
    return EXIT_DELETE_GUARD if plan.delete_blocked else EXIT_OK


def shown(text: str) -> str:
    """Text (a path, a reason, a URL) as shown: one line, no escape sequences, no markup."""
    return escape(printable(text))
