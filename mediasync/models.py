"""Immutable values that flow between the stages: snapshots, plans, actions and outcomes.

Paths are always relative POSIX strings ("campaigns/spring/photo.jpg"), never absolute,
so a plan means the same thing whichever machine or root folder it is applied to.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType


def parent_of(path: str) -> str:
    """The folder part of a relative path ("" for the root)."""
    head, _, _ = path.rpartition("/")
    return head


def name_of(path: str) -> str:
    return path.rpartition("/")[2]


def remote_name(path: str) -> str:
    """The name a file or folder gets in the library: its local name, in Unicode NFC.

    macOS may hand out names decomposed (NFD); the web app and people type them composed.
    """
    return unicodedata.normalize("NFC", name_of(path))


@dataclass(frozen=True, slots=True)
class LocalFile:
    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class LocalSnapshot:
    """What a stat-only walk of the local root saw.

    `rejected` are entries that exist but cannot be synced (a FIFO, an unreadable name);
    `unreadable` are folders whose contents are unknown. Neither may look like a deletion.
    """

    root_exists: bool
    files: Mapping[str, LocalFile] = field(default_factory=lambda: MappingProxyType({}))
    rejected: tuple[Rejection, ...] = ()
    unreadable: tuple[str, ...] = ()

    @staticmethod
    def of(
        files: list[LocalFile],
        rejected: tuple[Rejection, ...] = (),
        unreadable: tuple[str, ...] = (),
    ) -> LocalSnapshot:
        return LocalSnapshot(
            True, MappingProxyType({f.path: f for f in files}), rejected, unreadable
        )


# StateEntry.status: how the recorded copy stands, as the manifest reports it.
SYNCED = "synced"
RESTORED = "restored"  # it vanished from the library (deleted in the web app) and was re-sent
MISSING = "missing"  # it vanished from the library and, as configured, was only reported


@dataclass(frozen=True, slots=True)
class StateEntry:
    """One file that mediasync uploaded and the remote confirmed."""

    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    remote_id: str
    url: str
    folder_id: str | None
    uploaded_at: float
    status: str = "synced"


@dataclass(frozen=True, slots=True)
class StaleCopy:
    """An old remote copy of a replaced file whose delete has not yet succeeded."""

    remote_id: str
    path: str


@dataclass(frozen=True, slots=True)
class SyncState:
    entries: Mapping[str, StateEntry] = field(default_factory=lambda: MappingProxyType({}))
    stale: tuple[StaleCopy, ...] = ()

    @staticmethod
    def of(entries: list[StateEntry], stale: tuple[StaleCopy, ...] = ()) -> SyncState:
        return SyncState(MappingProxyType({e.path: e for e in entries}), stale)


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """A file or folder as the remote listing reports it."""

    id: str
    name: str
    parent_id: str | None
    is_folder: bool
    url: str | None = None
    created_at: str | None = None


@dataclass(frozen=True, slots=True)
class UploadResult:
    """The remote's answer to an upload, with the hash and size of the bytes actually sent."""

    remote_id: str
    url: str
    sha256: str
    size: int


class ActionKind(Enum):
    UPLOAD = "upload"
    REPLACE = "replace"
    RESTORE = "restore"
    DELETE = "delete"
    DELETE_STALE = "delete-stale"
    # A recorded file found under a new name: `previous` is its entry at the old path.
    RENAME = "rename"  # same folder: renamed remotely if the bytes match, so the URL stays
    MOVE = "move"  # another folder: uploaded there, then the old copy deleted (no move API)


@dataclass(frozen=True, slots=True)
class Action:
    kind: ActionKind
    path: str
    local: LocalFile | None = None
    previous: StateEntry | None = None
    stale_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What a sync pass will do. `blocked` names why deletes (or the whole run) must not go on."""

    uploads: tuple[Action, ...] = ()
    deletes: tuple[Action, ...] = ()
    rejections: tuple[Rejection, ...] = ()
    unchanged: int = 0
    missing: tuple[str, ...] = ()
    delete_blocked: str | None = None
    fatal: str | None = None
    # (recorded path, path on disk now) for names that differ only in Unicode composition:
    # the same file, so its state row moves to the new spelling instead of a delete and upload.
    rekeys: tuple[tuple[str, str], ...] = ()
    # Recorded files that an ignore rule now covers: their remote copies are kept, not deleted.
    kept_ignored: tuple[str, ...] = ()
    # The same, under [sync] delete_ignored: deleted, though they may still be on disk.
    deleted_ignored: tuple[str, ...] = ()

    @property
    def folders(self) -> tuple[str, ...]:
        """Every local folder the uploads need, parents before children."""
        needed: set[str] = set()
        for action in self.uploads:
            folder = parent_of(action.path)
            while folder:
                needed.add(folder)
                folder = parent_of(folder)
        return tuple(sorted(needed, key=lambda f: (f.count("/"), f)))


class OutcomeKind(Enum):
    UPLOADED = "uploaded"
    RENAMED = "renamed"
    UNCHANGED = "unchanged"
    DELETED = "deleted"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a worker did with one action. Workers return these; only the consumer records them."""

    kind: OutcomeKind
    action: Action
    entry: StateEntry | None = None
    reason: str = ""
    stale_id: str | None = None

    @property
    def path(self) -> str:
        return self.action.path
