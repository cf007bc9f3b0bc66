"""The pure diff of the local snapshot against the state: what to upload, replace and delete.

No disk, network or clock: the same inputs always give the same Plan, in the same order.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace

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
    name_of,
    parent_of,
)
from mediasync.rules import TypeRules, check_name_and_size, extension_of, is_ignored

# Files under such a folder may still exist: they are never taken for deleted.
UNREADABLE = "cannot read this folder: its files are neither sent nor deleted"


@dataclass(frozen=True, slots=True)
class Policy:
    delete: bool = True
    max_delete: MaxDelete = field(default_factory=lambda: MaxDelete(percent=50.0))
    force: bool = False
    types: TypeRules = field(default_factory=TypeRules)
    restore_missing: bool = True
    # The ignore patterns ([local] ignore): a recorded file they now cover is not taken for
    # deleted unless delete_ignored ([sync] delete_ignored) says so.
    ignore: tuple[str, ...] = ()
    delete_ignored: bool = False
    # --checksum: hash every recorded file, not only those whose size or mtime moved.
    checksum: bool = False


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
    entries, rekeys = _rekeyed(local, state)
    for path in sorted(local.files):
        sorting.add(local.files[path], entries.get(path), policy)

    still_here = {r.path for r in local.rejected}
    # Sorted after filtering: a no-change run of 100,000 files has nothing here to sort.
    gone = [
        (path, entries[path])
        for path in sorted(
            path
            for path in entries
            if path not in local.files
            and path not in still_here
            and not _inside_any(path, local.unreadable)
        )
    ]
    ignored = tuple(path for path, _ in gone if is_ignored(path, policy.ignore))
    kept = () if policy.delete_ignored else ignored
    removed = [
        Action(ActionKind.DELETE, path, previous=entry) for path, entry in gone if path not in kept
    ]
    stale = [
        Action(ActionKind.DELETE_STALE, copy.path, stale_id=copy.remote_id)
        for copy in sorted(state.stale, key=lambda c: (c.path, c.remote_id))
    ]
    removed = sorting.pair_moves(removed)
    blocked = _delete_block(removed, known, policy)
    deletes = (removed if policy.delete else []) + stale
    # Ignored, not removed: told apart so no one reads them as files that were deleted.
    doomed = {a.path for a in deletes if a.kind is ActionKind.DELETE}
    return replace(
        sorting.plan(deletes, blocked),
        rekeys=rekeys,
        kept_ignored=kept,
        deleted_ignored=tuple(path for path in ignored if path in doomed),
    )


def _rekeyed(
    local: LocalSnapshot | Mapping[str, LocalFile | Rejection | None], state: SyncState
) -> tuple[dict[str, StateEntry], tuple[tuple[str, str], ...]]:
    """The state's entries keyed as the disk spells them now: a recorded name found on disk in
    another Unicode normalization form (NFD from macOS, NFC elsewhere) is the same file."""
    if isinstance(local, LocalSnapshot):
        present = set(local.files)
        found = sorted(local.files)
    else:
        present = {p for p, look in local.items() if look is not None}
        found = sorted(p for p, look in local.items() if isinstance(look, LocalFile))
    entries = dict(state.entries)
    by_form = {unicodedata.normalize("NFC", p): p for p in entries}
    rekeys: list[tuple[str, str]] = []
    for path in found:
        if path in entries:
            continue
        old = by_form.get(unicodedata.normalize("NFC", path))
        if old is not None and old in entries and old not in present:
            entries[path] = replace(entries.pop(old), path=path)
            rekeys.append((old, path))
    return entries, tuple(rekeys)


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
    entries, rekeys = _rekeyed(looks, state)
    for path in sorted(looks):
        look, previous = looks[path], entries.get(path)
        if isinstance(look, LocalFile):
            sorting.add(look, previous, policy)
        elif isinstance(look, Rejection):
            sorting.rejections.append(look)
        elif previous is not None:
            removed.append(Action(ActionKind.DELETE, path, previous=previous))
    removed = sorting.pair_moves(removed)
    total = len(state.entries) if known is None else known
    blocked = _delete_block(removed, total, policy)
    return replace(sorting.plan(removed if policy.delete else [], blocked), rekeys=rekeys)


class _Sorting:
    """Local files sorted into uploads, rejections, missing and unchanged, in path order."""

    def __init__(self, rejections: list[Rejection]) -> None:
        self.uploads: list[Action] = []
        self.rejections = rejections
        self.missing: list[str] = []
        self.unchanged = 0

    def add(self, file: LocalFile, previous: StateEntry | None, policy: Policy) -> None:
        path = file.path
        reason = check_name_and_size(path, file.size, policy.types)
        if reason is not None:
            self.rejections.append(Rejection(path, reason))
        elif previous is None:
            self.uploads.append(Action(ActionKind.UPLOAD, path, local=file))
        elif previous.status == MISSING and policy.restore_missing:
            self.uploads.append(Action(ActionKind.RESTORE, path, local=file, previous=previous))
        elif (previous.size, previous.mtime_ns) != (file.size, file.mtime_ns) or (
            policy.checksum and previous.status != MISSING
        ):
            # The worker hashes before sending: same content only records the new mtime.
            self.uploads.append(Action(ActionKind.REPLACE, path, local=file, previous=previous))
        elif previous.status == MISSING:
            self.missing.append(path)
        else:
            self.unchanged += 1

    def pair_moves(self, removed: list[Action]) -> list[Action]:
        """Take a new file and a removed one for the same file renamed or moved, when nothing
        else could be meant: one of each with the same size and extension in a folder (a
        rename), else one of each with the same name and size anywhere (a move). The paired
        delete leaves the list: the worker removes the old copy only once the new one stands."""
        new = [a for a in self.uploads if a.kind is ActionKind.UPLOAD]
        gone = [
            a
            for a in removed
            if a.previous is not None
            and a.previous.sha256 is not None
            and a.previous.status != MISSING
        ]
        pairs = _unique_pairs(
            new, gone, lambda path, size: (parent_of(path), extension_of(path), size)
        )
        taken = {a.path for a in pairs} | {p.path for p in pairs.values()}
        pairs.update(
            _unique_pairs(
                [a for a in new if a.path not in taken],
                [a for a in gone if a.path not in taken],
                lambda path, size: (name_of(path), size),
            )
        )
        if not pairs:
            return removed
        olds = {old.path for old in pairs.values()}
        self.uploads = [
            replace(
                action,
                kind=ActionKind.RENAME
                if parent_of(action.path) == parent_of(pairs[action].path)
                else ActionKind.MOVE,
                previous=pairs[action].previous,
            )
            if action in pairs
            else action
            for action in self.uploads
        ]
        return [a for a in removed if a.path not in olds]

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


def _unique_pairs(
    new: list[Action], gone: list[Action], key: Callable[[str, int], Hashable]
) -> dict[Action, Action]:
    """New upload → removed entry, for each key held by exactly one of each."""
    ups: dict[Hashable, list[Action]] = {}
    for action in new:
        assert action.local is not None
        ups.setdefault(key(action.path, action.local.size), []).append(action)
    downs: dict[Hashable, list[Action]] = {}
    for action in gone:
        assert action.previous is not None
        downs.setdefault(key(action.path, action.previous.size), []).append(action)
    return {
        ups[k][0]: downs[k][0]
        for k in sorted(ups.keys() & downs.keys(), key=str)
        if len(ups[k]) == 1 and len(downs[k]) == 1
    }


def _inside_any(path: str, folders: tuple[str, ...]) -> bool:
    return any(folder == "" or path.startswith(f"{folder}/") for folder in folders)


def _missing_root(known: int) -> str:
    if known:
        return (
            f"the local folder is missing but {known} uploaded files are recorded: "
            "mount or restore it, or fix [local] path"
        )
    return "the local folder does not exist: create it or fix [local] path in the config"
