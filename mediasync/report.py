"""How a sync pass reads on the terminal: one line per file, one summary line, and exit codes."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from mediasync.engine import SyncReport
from mediasync.models import ActionKind, Outcome, OutcomeKind, Plan
from mediasync.scan import printable

KEPT_IGNORED = (
    "now ignored, so its remote copy is kept; set [sync] delete_ignored = true to delete it"
)

# A rename is planned from sizes alone: the worker hashes the file before it renames anything.
RENAME_NOTE = "the URL stays if the content is unchanged, checked when it is sent"

IGNORED_DELETED = "now ignored, and [sync] delete_ignored = true deletes its remote copy"

LEFT_IN_PLACE = (
    "an interrupted run may have left a copy of it in the library's folder, but that copy "
    "does not match the file as it is now, so it was not taken for ours and was left in place; "
    "if the folder shows two copies of this name, delete the one not in `mediasync manifest`"
)

PROBLEMS = (OutcomeKind.REJECTED, OutcomeKind.FAILED)

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
    (OutcomeKind.UPLOADED, ActionKind.RENAME): "renamed",
    (OutcomeKind.UPLOADED, ActionKind.MOVE): "moved",
    (OutcomeKind.RENAMED, ActionKind.RENAME): "renamed",
    (OutcomeKind.DELETED, ActionKind.DELETE): "deleted",
    (OutcomeKind.DELETED, ActionKind.DELETE_STALE): "removed old copy of",
}


def print_progress(console: Console, outcome: Outcome) -> None:
    """A line as each file is done. Rejections and failures wait for the summary, so each
    one is listed once, with the others, where the user reads what to do."""
    if outcome.kind not in PROBLEMS:
        print_outcome(console, outcome)


def print_outcome(console: Console, outcome: Outcome) -> None:
    path = shown(outcome.path)
    if outcome.kind in (OutcomeKind.UPLOADED, OutcomeKind.RENAMED):
        verb = _VERBS[(outcome.kind, outcome.action.kind)]
        url = outcome.entry.url if outcome.entry else ""
        note = f"  ({shown(outcome.reason)})" if outcome.reason else ""
        console.print(f"[green]{verb}[/] {path} → {shown(url)}{note}")
    elif outcome.kind is OutcomeKind.DELETED:
        console.print(f"[yellow]{_VERBS[(outcome.kind, outcome.action.kind)]}[/] {path}")
    elif outcome.kind is OutcomeKind.UNCHANGED:
        local, previous = outcome.action.local, outcome.action.previous
        if local is None or previous is None or local.mtime_ns != previous.mtime_ns:
            console.print(f"[dim]unchanged[/] {path} (only its timestamp moved)")
        # else a --checksum pass confirmed it: counted in the summary, not worth a line.
    elif outcome.kind is OutcomeKind.REJECTED:
        console.print(f"[magenta]rejected[/] {path}: {shown(outcome.reason)}")
    else:
        console.print(f"[red]failed[/] {path}: {shown(outcome.reason)}")


def print_plan(console: Console, plan: Plan) -> None:
    for action in plan.uploads:
        verb = f"would {action.kind.value}"
        moved = action.kind in (ActionKind.RENAME, ActionKind.MOVE) and action.previous
        origin = f"{shown(action.previous.path)} → " if moved and action.previous else ""
        note = f" ({RENAME_NOTE})" if action.kind is ActionKind.RENAME else ""
        console.print(f"{verb} {origin}{shown(action.path)}{note}")
    for rejection in plan.rejections:
        console.print(f"would reject {shown(rejection.path)}: {shown(rejection.reason)}")
    ignored = set(plan.deleted_ignored)
    for action in plan.deletes:
        if plan.delete_blocked and action.kind is ActionKind.DELETE:
            continue
        what = "old copy of " if action.kind is ActionKind.DELETE_STALE else ""
        now_ignored = action.kind is ActionKind.DELETE and action.path in ignored
        why = f" ({shown(IGNORED_DELETED)})" if now_ignored else ""
        console.print(f"would delete {what}{shown(action.path)}{why}")
    for path in plan.kept_ignored:
        console.print(f"would keep remote copy of {shown(path)}: {shown(KEPT_IGNORED)}")
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
    """One line per file that needs the user (path, reason, what to do), then the totals."""
    print_problems(console, report)
    console.print(summary_line(report, traffic))


def print_problems(console: Console, report: SyncReport) -> None:
    """What needs the user: rejected and failed files, kept copies, skipped deletes."""
    problems = [(r.path, "[magenta]rejected[/]", r.reason) for r in report.plan.rejections]
    for o in report.outcomes:
        if o.kind in PROBLEMS:
            label = "[magenta]rejected[/]" if o.kind is OutcomeKind.REJECTED else "[red]failed[/]"
            problems.append((o.path, label, o.reason))
    for path, label, reason in sorted(problems):
        console.print(f"{label} {shown(path)}: {shown(reason)}")
    for path in report.plan.kept_ignored:
        console.print(f"[yellow]kept[/] {shown(path)}: {shown(KEPT_IGNORED)}")
    for path in report.plan.missing:
        console.print(
            f"[red]missing remotely[/] {shown(path)}: deleted in the library; not re-sent "
            + shown('([sync] missing_remote = "report")')
        )
    for path in report.left_in_place:
        console.print(f"[yellow]check[/] {shown(path)}: {shown(LEFT_IN_PLACE)}")
    if report.deletes_skipped:
        console.print(f"[red]deletes not done:[/] {shown(report.deletes_skipped)}")


def summary_counts(report: SyncReport) -> dict[str, int]:
    """The totals of a pass by what happened, in the order they are shown."""
    return {
        "uploaded": report.count(OutcomeKind.UPLOADED, ActionKind.UPLOAD),
        "replaced": report.count(OutcomeKind.UPLOADED, ActionKind.REPLACE),
        "renamed": report.count(OutcomeKind.RENAMED),
        "renamed, new URL": report.count(OutcomeKind.UPLOADED, ActionKind.RENAME),
        "moved": report.count(OutcomeKind.UPLOADED, ActionKind.MOVE),
        "restored": report.count(OutcomeKind.UPLOADED, ActionKind.RESTORE),
        "deleted": report.count(OutcomeKind.DELETED, ActionKind.DELETE),
        "unchanged": report.plan.unchanged + report.count(OutcomeKind.UNCHANGED),
        "rejected": report.count(OutcomeKind.REJECTED) + len(report.plan.rejections),
        "failed": report.failed,
        "recovered": report.adopted,
        "missing remotely": len(report.plan.missing),
        "not done (interrupted)": report.not_done,
    }


def nothing_to_do(report: SyncReport) -> bool:
    """No file to sync in the folder and none recorded (an empty plan is only that)."""
    return report.plan == Plan() and not report.outcomes


def summary_line(report: SyncReport, traffic: Traffic | None = None) -> str:
    cost = f"; {traffic.describe()}" if traffic else ""
    if nothing_to_do(report):
        # Still one line, so a cron log shows the run happened and found nothing.
        return f"sync: nothing to do: no files to sync in the folder and none recorded{cost}"
    uploaded = report.count(OutcomeKind.UPLOADED, ActionKind.UPLOAD)
    replaced = report.count(OutcomeKind.UPLOADED, ActionKind.REPLACE)
    restored = report.count(OutcomeKind.UPLOADED, ActionKind.RESTORE)
    renamed = report.count(OutcomeKind.RENAMED)
    sent_renamed = report.count(OutcomeKind.UPLOADED, ActionKind.RENAME)
    moved = report.count(OutcomeKind.UPLOADED, ActionKind.MOVE)
    deleted = report.count(OutcomeKind.DELETED, ActionKind.DELETE)
    rejected = report.count(OutcomeKind.REJECTED) + len(report.plan.rejections)
    unchanged = report.plan.unchanged + report.count(OutcomeKind.UNCHANGED)
    adopted = f", {report.adopted} recovered" if report.adopted else ""
    adopted += f", {restored} restored" if restored else ""
    adopted += f", {renamed} renamed (URL kept)" if renamed else ""
    adopted += f", {sent_renamed} renamed (new URL)" if sent_renamed else ""
    adopted += f", {moved} moved (new URL)" if moved else ""
    adopted += f", {len(report.plan.missing)} missing remotely" if report.plan.missing else ""
    adopted += f", {report.not_done} not done (interrupted)" if report.not_done else ""
    return (
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
