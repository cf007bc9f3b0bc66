"""`mediasync status`: what a sync would do now, grouped like `git status`, as text or JSON.

It renders a `preview.Preview` (the dry-run plan plus the problems the last run recorded), so
it needs no network and no token, and shows exactly what `sync --dry-run` would plan.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from mediasync.config import Settings
from mediasync.models import ActionKind
from mediasync.preview import Preview
from mediasync.report import KEPT_IGNORED, shown


def status_data(found: Preview) -> dict[str, Any]:
    plan = found.plan

    def paths(*kinds: ActionKind) -> list[str]:
        actions = (*plan.uploads, *plan.deletes)
        return [a.path for a in actions if a.kind in kinds]

    now_rejected = {r.path for r in plan.rejections}
    ignored = set(plan.deleted_ignored)
    return {
        "new": paths(ActionKind.UPLOAD),
        "changed": paths(ActionKind.REPLACE),
        "restore": paths(ActionKind.RESTORE),
        "delete": [p for p in paths(ActionKind.DELETE) if p not in ignored],
        "delete_ignored": list(plan.deleted_ignored),
        "delete_old_copies": paths(ActionKind.DELETE_STALE),
        "renamed": [
            {"from": a.previous.path, "to": a.path}
            for a in plan.uploads
            if a.kind is ActionKind.RENAME and a.previous is not None
        ],
        "moved": [
            {"from": a.previous.path, "to": a.path}
            for a in plan.uploads
            if a.kind is ActionKind.MOVE and a.previous is not None
        ],
        "delete_blocked": plan.delete_blocked,
        "rejected": [{"path": r.path, "reason": r.reason} for r in plan.rejections],
        "kept_ignored": list(plan.kept_ignored),
        "missing_remote": list(plan.missing),
        "unchanged": plan.unchanged,
        # What the last run could not do that today's look does not already explain.
        "last_run_problems": [
            {"path": path, "kind": kind, "reason": reason}
            for path, kind, reason in found.last_problems
            if path not in now_rejected
        ],
    }


def status_json(found: Preview) -> str:
    data = status_data(found)
    data["in_sync"] = is_in_sync(data)
    return json.dumps(data, ensure_ascii=False, indent=2)


def is_in_sync(data: dict[str, Any]) -> bool:
    pending = (
        "new",
        "changed",
        "restore",
        "delete",
        "delete_ignored",
        "delete_old_copies",
        "renamed",
        "moved",
    )
    return not any(data[key] for key in pending)


_SECTIONS = (
    ("new", "New files, to upload"),
    ("changed", "Changed files, to replace (new copy first, then the old one is deleted)"),
    ("restore", "Deleted in the web app, to upload again"),
    ("delete", "Removed locally, to delete remotely"),
    ("delete_ignored", "Ignored now, to delete remotely ([sync] delete_ignored = true)"),
    ("delete_old_copies", "Old copies of replaced files, to delete"),
)


_MOVES = (
    (
        "renamed",
        # Paired by size and extension: the bytes are only compared when it is sent.
        "Renamed in the same folder, to rename remotely: the URL stays if the content is "
        "unchanged (checked when it is sent); if not, it is uploaded anew (new URL)",
    ),
    ("moved", "Moved to another folder, to upload there and delete the old copy (new URL)"),
)


def print_status(console: Console, found: Preview, settings: Settings) -> None:
    data = status_data(found)
    console.print(
        f"{shown(str(settings.local_path))} → location {shown(settings.location_id)}, "
        f"folder {shown(settings.root_folder or '(library root)')}/"
    )
    for key, title in _SECTIONS:
        if data[key]:
            console.print(f"\n{shown(title)}:")
            for path in data[key]:
                console.print(f"  {shown(path)}")
    for key, title in _MOVES:
        if data[key]:
            console.print(f"\n{title}:")
            for row in data[key]:
                console.print(f"  {shown(row['from'])} → {shown(row['to'])}")
    if data["delete_blocked"]:
        console.print(f"\n[red]Delete guard:[/] {shown(data['delete_blocked'])}")
    if data["rejected"]:
        console.print("\nRejected, not sent (path: reason):")
        for row in data["rejected"]:
            console.print(f"  [magenta]{shown(row['path'])}[/]: {shown(row['reason'])}")
    if data["kept_ignored"]:
        console.print("\nIgnored now, remote copy kept:")
        for path in data["kept_ignored"]:
            console.print(f"  {shown(path)}: {shown(KEPT_IGNORED)}")
    if data["missing_remote"]:
        console.print(
            "\n" + shown("Deleted in the web app, only reported ([sync] missing_remote = report):")
        )
        for path in data["missing_remote"]:
            console.print(f"  {shown(path)}")
    if data["last_run_problems"]:
        console.print("\nProblems in the last run:")
        for row in data["last_run_problems"]:
            console.print(f"  [red]{row['kind']}[/] {shown(row['path'])}: {shown(row['reason'])}")
    console.print("")
    verdict = (
        "in sync: nothing to upload or delete"
        if is_in_sync(data)
        else "run mediasync sync to apply these changes"
    )
    console.print(
        f"{len(data['new'])} new, {len(data['changed'])} changed, "
        f"{len(data['delete']) + len(data['delete_ignored'])} to delete, "
        f"{len(data['rejected'])} rejected, "
        f"{data['unchanged']} unchanged; {verdict}"
    )
