"""The pure diff of the local snapshot against the state: what to upload, replace and delete.

No disk, network or clock: the same inputs always give the same Plan, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mediasync.config import MaxDelete
from mediasync.models import (
    MISSING,
    Action,
    ActionKind,
    LocalSnapshot,
    Plan,
    Rejection,
    SyncState,
)
from mediasync.rules import check_name_and_size

# Files under such a folder may still exist: they are never taken for deleted.
UNREADABLE = "cannot read this folder: its files are neither sent nor deleted"


@dataclass(frozen=True, slots=True)
class Policy:
    delete: bool = True
    max_delete: MaxDelete = field(default_factory=lambda: MaxDelete(percent=50.0))
    force: bool = False
    max_file_bytes: int = 25 * 1024 * 1024
    max_video_bytes: int = 25 * 1024 * 1024
    restore_missing: bool = True


def plan(local: LocalSnapshot, state: SyncState, policy: Policy) -> Plan:
    known = len(state.entries)
    if not local.root_exists:
        return Plan(fatal=_missing_root(known))
    if not local.files and known and not policy.force:
        return Plan(
            fatal=f"the local folder is empty but {known} uploaded files are recorded: if the "
            "folder is unmounted or moved, fix that; to really delete them all, run with --force"
        )

    uploads: list[Action] = []
    missing: list[str] = []
    rejections = [*local.rejected, *(Rejection(f or ".", UNREADABLE) for f in local.unreadable)]
    unchanged = 0
    for path in sorted(local.files):
        file = local.files[path]
        reason = check_name_and_size(path, file.size, policy.max_file_bytes, policy.max_video_bytes)
        previous = state.entries.get(path)
        if reason is not None:
            rejections.append(Rejection(path, reason))
        elif previous is None:
            uploads.append(Action(ActionKind.UPLOAD, path, local=file))
        elif previous.status == MISSING and policy.restore_missing:
            uploads.append(Action(ActionKind.RESTORE, path, local=file, previous=previous))
        elif (previous.size, previous.mtime_ns) != (file.size, file.mtime_ns):
            uploads.append(Action(ActionKind.REPLACE, path, local=file, previous=previous))
        elif previous.status == MISSING:
            missing.append(path)
        else:
            unchanged += 1

    still_here = {r.path for r in local.rejected}
    removed = [
        Action(ActionKind.DELETE, path, previous=entry)
        for path, entry in sorted(state.entries.items())
        if path not in local.files
        and path not in still_here
        and not _inside_any(path, local.unreadable)
    ]
    stale = [
        Action(ActionKind.DELETE_STALE, copy.path, stale_id=copy.remote_id)
        for copy in sorted(state.stale, key=lambda c: (c.path, c.remote_id))
    ]
    blocked = _delete_block(removed, known, policy)
    deletes = (removed if policy.delete else []) + stale
    return Plan(
        uploads=tuple(uploads),
        deletes=tuple(deletes),
        rejections=tuple(sorted(rejections, key=lambda r: r.path)),
        unchanged=unchanged,
        missing=tuple(missing),
        delete_blocked=blocked,
    )


def _delete_block(removed: list[Action], known: int, policy: Policy) -> str | None:
    if not policy.delete or not removed:
        return None
    limit = policy.max_delete.limit_for(known)
    if len(removed) > limit and not policy.force:
        return (
            f"refusing to delete {len(removed)} of {known} uploaded files (over max_delete "
            f"{policy.max_delete}): check the local folder, then run again with --force"
        )
    return None


def _inside_any(path: str, folders: tuple[str, ...]) -> bool:
    return any(folder == "" or path.startswith(f"{folder}/") for folder in folders)


def _missing_root(known: int) -> str:
    if known:
        return (
            f"the local folder is missing but {known} uploaded files are recorded: "
            "mount or restore it, or fix [local] path"
        )
    return "the local folder does not exist: create it or fix [local] path in the config"
