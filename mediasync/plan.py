"""The pure diff of the local snapshot against the state: what to upload, replace and delete.

No disk, network or clock: the same inputs always give the same Plan, in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mediasync.config import MaxDelete
from mediasync.models import (
    MISSING,
    Action,
    ActionKind,
    LocalFile,
    LocalSnapshot,
    Plan,
    Rejection,
    StateEntry,
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

    sorting = _Sorting(
        [*local.rejected, *(Rejection(f or ".", UNREADABLE) for f in local.unreadable)]
    )
    for path in sorted(local.files):
        sorting.add(local.files[path], state.entries.get(path), policy)

    still_here = {r.path for r in local.rejected}
    # Sorted after filtering: a no-change run of 100,000 files has nothing here to sort.
    removed = [
        Action(ActionKind.DELETE, path, previous=state.entries[path])
        for path in sorted(
            path
            for path in state.entries
            if path not in local.files
            and path not in still_here
            and not _inside_any(path, local.unreadable)
        )
    ]
    stale = [
        Action(ActionKind.DELETE_STALE, copy.path, stale_id=copy.remote_id)
        for copy in sorted(state.stale, key=lambda c: (c.path, c.remote_id))
    ]
    blocked = _delete_block(removed, known, policy)
    deletes = (removed if policy.delete else []) + stale
    return sorting.plan(deletes, blocked)


def plan_paths(
    looks: Mapping[str, LocalFile | Rejection | None],
    state: SyncState,
    policy: Policy,
    known: int | None = None,
) -> Plan:
    """The plan for just these paths, each as a fresh look found it (the watcher's settled
    paths): a file is uploaded when new or changed, a recorded path found gone is deleted,
    and a path that exists but cannot be synced (a Rejection) is neither. `state` may hold just
    these paths' entries; `known` is then how many files are recorded in all (the delete guard)."""
    sorting = _Sorting([])
    removed: list[Action] = []
    for path in sorted(looks):
        look, previous = looks[path], state.entries.get(path)
        if isinstance(look, LocalFile):
            sorting.add(look, previous, policy)
        elif isinstance(look, Rejection):
            sorting.rejections.append(look)
        elif previous is not None:
            removed.append(Action(ActionKind.DELETE, path, previous=previous))
    total = len(state.entries) if known is None else known
    blocked = _delete_block(removed, total, policy)
    return sorting.plan(removed if policy.delete else [], blocked)


class _Sorting:
    """Local files sorted into uploads, rejections, missing and unchanged, in path order."""

    def __init__(self, rejections: list[Rejection]) -> None:
        self.uploads: list[Action] = []
        self.rejections = rejections
        self.missing: list[str] = []
        self.unchanged = 0

    def add(self, file: LocalFile, previous: StateEntry | None, policy: Policy) -> None:
        path = file.path
        reason = check_name_and_size(path, file.size, policy.max_file_bytes, policy.max_video_bytes)
        if reason is not None:
            self.rejections.append(Rejection(path, reason))
        elif previous is None:
            self.uploads.append(Action(ActionKind.UPLOAD, path, local=file))
        elif previous.status == MISSING and policy.restore_missing:
            self.uploads.append(Action(ActionKind.RESTORE, path, local=file, previous=previous))
        elif (previous.size, previous.mtime_ns) != (file.size, file.mtime_ns):
            self.uploads.append(Action(ActionKind.REPLACE, path, local=file, previous=previous))
        elif previous.status == MISSING:
            self.missing.append(path)
        else:
            self.unchanged += 1

    def plan(self, deletes: list[Action], blocked: str | None) -> Plan:
        return Plan(
            uploads=tuple(self.uploads),
            deletes=tuple(deletes),
            rejections=tuple(sorted(self.rejections, key=lambda r: r.path)),
            unchanged=self.unchanged,
            missing=tuple(self.missing),
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
