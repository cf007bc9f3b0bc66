"""The local record of what mediasync uploaded: SQLite in WAL mode, one row per file, committed
per outcome, plus folder ids, upload/delete intents, stale remote copies, problems and the run lock.

Tables (schema version 1):
    meta(key, value)                      schema_version, location_id, last_remote_check
    files(path, size, mtime_ns, sha256, remote_id, url, folder_id, uploaded_at, status)
    folders(path, remote_id)              local folder → remote folder id ("" = the root folder)
    intents(id, kind, path, name, folder_id, size, mtime_ns, remote_id, started_at)
    stale(remote_id, path, since)         old copies of replaced files still to delete
    problems(path, kind, reason, at)      the last run's rejections and failures
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mediasync.errors import LockHeldError, StateError
from mediasync.models import Outcome, OutcomeKind, StaleCopy, StateEntry, SyncState

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT,
    remote_id TEXT NOT NULL,
    url TEXT NOT NULL,
    folder_id TEXT,
    uploaded_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'synced'
);
CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, remote_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    folder_id TEXT,
    size INTEGER,
    mtime_ns INTEGER,
    remote_id TEXT,
    started_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stale (remote_id TEXT PRIMARY KEY, path TEXT NOT NULL, since REAL);
CREATE TABLE IF NOT EXISTS problems (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Intent:
    """An upload or delete that was started but whose outcome was never recorded."""

    id: int
    kind: str
    path: str
    name: str
    folder_id: str | None
    size: int | None
    mtime_ns: int | None
    remote_id: str | None
    started_at: float


class StateStore:
    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, location_id: str, root_folder: str | None = None) -> StateStore:
        """Open (creating if needed) the state for `location_id`; refuse another location's,
        and (given `root_folder`) one whose files were synced under another remote folder."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = _check_version(conn, path)
            if version is None:
                conn.executescript(_SCHEMA)
            with _transaction(conn):
                conn.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                )
                conn.execute("INSERT OR IGNORE INTO meta VALUES ('location_id', ?)", (location_id,))
                if _meta(conn, "location_id") != location_id and _holds_nothing(conn):
                    # Nothing was ever recorded (a typo'd id, say): nothing ties it to a location.
                    conn.execute(
                        "UPDATE meta SET value = ? WHERE key = 'location_id'", (location_id,)
                    )
                if root_folder is not None:
                    conn.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('root_folder', ?)", (root_folder,)
                    )
                    if not _holds_files(conn):
                        conn.execute(
                            "UPDATE meta SET value = ? WHERE key = 'root_folder'", (root_folder,)
                        )
        except sqlite3.DatabaseError as exc:
            raise _corrupt(path, exc) from exc
        except OSError as exc:
            raise StateError(f"cannot create state file {path}: {exc.strerror}") from exc
        store = cls(conn, path)
        store._check_owner(location_id, root_folder)
        return store

    @classmethod
    def open_existing(
        cls, path: Path, location_id: str, root_folder: str | None = None
    ) -> StateStore | None:
        """Open the state read-only, or None if there is none yet; never creates anything."""
        if not path.exists():
            return None
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
            if _check_version(conn, path) is None:
                conn.close()
                return None
        except sqlite3.DatabaseError as exc:
            raise _corrupt(path, exc) from exc
        store = cls(conn, path)
        store._check_owner(location_id, root_folder)
        return store

    def _check_owner(self, location_id: str, root_folder: str | None) -> None:
        owner = _meta(self._conn, "location_id")
        if owner != location_id:
            self._conn.close()
            raise StateError(
                f"state file {self.path} belongs to location {owner}, not {location_id}: "
                "use a separate [sync] state_file for each sub-account"
            )
        synced_under = _meta(self._conn, "root_folder")
        if root_folder is not None and synced_under is not None and synced_under != root_folder:
            self._conn.close()
            # The recorded copies would stay where they are while new ones went elsewhere.
            raise StateError(
                f"the files of state file {self.path} were synced under remote folder "
                f"{_shown_folder(synced_under)}, but [remote] root_folder is now "
                f"{_shown_folder(root_folder)}, and mediasync cannot move files between "
                f"remote folders. Set root_folder back to {_shown_folder(synced_under)}, or, "
                "to start over under the new one, use a new [sync] state_file (the copies "
                "already uploaded stay where they are, untouched)"
            )

    def close(self) -> None:
        self._conn.close()

    def snapshot(self) -> SyncState:
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, sha256, remote_id, url, folder_id, uploaded_at,"
            " status FROM files"
        ).fetchall()
        # In no order: ordering by path walks the key's index and then the table, twice the
        # time for 100,000 rows, and whoever needs an order sorts what it takes.
        # starmap builds the entries in half the time of indexing each row (100,000 rows).
        entries = list(itertools.starmap(StateEntry, rows))
        stale = self._conn.execute("SELECT remote_id, path FROM stale ORDER BY remote_id")
        return SyncState.of(entries, tuple(StaleCopy(r[0], r[1]) for r in stale))

    def entries_for(self, paths: Iterable[str]) -> dict[str, StateEntry]:
        """The recorded entries of just these paths (the watcher's, a few at a time)."""
        found: dict[str, StateEntry] = {}
        for path in paths:
            row = self._conn.execute(
                "SELECT path, size, mtime_ns, sha256, remote_id, url, folder_id, uploaded_at,"
                " status FROM files WHERE path = ?",
                (path,),
            ).fetchone()
            if row is not None:
                found[path] = StateEntry(*row)
        return found

    def paths_under(self, folder: str) -> list[str]:
        """Recorded paths inside `folder` (a changed path that is, or was, a folder)."""
        low, high = f"{folder}/", f"{folder}0"  # "0" sorts right after "/"
        rows = self._conn.execute(
            "SELECT path FROM files WHERE path >= ? AND path < ? ORDER BY path", (low, high)
        )
        return [r[0] for r in rows]

    def count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM files").fetchone()[0])

    def record(self, outcome: Outcome, end_intents: bool = False) -> None:
        """Apply one worker outcome in its own transaction; with `end_intents`, the same
        transaction also ends the path's intents (one commit per file, not two)."""
        action = outcome.action
        with _transaction(self._conn):
            if end_intents:
                self._conn.execute("DELETE FROM intents WHERE path = ?", (action.path,))
            moved_from = action.previous.path if action.previous else action.path
            if moved_from != action.path and outcome.entry is not None:
                # A rename or move: the file's row moves with it.
                self._conn.execute("DELETE FROM files WHERE path = ?", (moved_from,))
                self._conn.execute("DELETE FROM problems WHERE path = ?", (moved_from,))
            if outcome.kind is OutcomeKind.UPLOADED:
                assert outcome.entry is not None
                self._put_entry(outcome.entry)
                self._conn.execute("DELETE FROM problems WHERE path = ?", (action.path,))
                if outcome.stale_id:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO stale VALUES (?, ?, ?)",
                        (outcome.stale_id, action.path, outcome.entry.uploaded_at),
                    )
            elif outcome.kind in (OutcomeKind.UNCHANGED, OutcomeKind.RENAMED):
                assert outcome.entry is not None
                self._put_entry(outcome.entry)
                self._conn.execute("DELETE FROM problems WHERE path = ?", (action.path,))
            elif outcome.kind is OutcomeKind.DELETED:
                if action.stale_id is not None:
                    self._conn.execute("DELETE FROM stale WHERE remote_id = ?", (action.stale_id,))
                else:
                    self._conn.execute("DELETE FROM files WHERE path = ?", (action.path,))
                self._conn.execute("DELETE FROM problems WHERE path = ?", (action.path,))
            else:
                self._conn.execute(
                    "INSERT OR REPLACE INTO problems VALUES (?, ?, ?, strftime('%s','now'))",
                    (action.path, outcome.kind.value, outcome.reason),
                )

    def rekey(self, old: str, new: str) -> None:
        """Move a file's row to the spelling its name has on disk now (see plan._rekeyed)."""
        with _transaction(self._conn):
            self._conn.execute("UPDATE files SET path = ? WHERE path = ?", (new, old))
            self._conn.execute("UPDATE stale SET path = ? WHERE path = ?", (new, old))

    def record_problem(self, path: str, kind: str, reason: str) -> None:
        with _transaction(self._conn):
            self._conn.execute(
                "INSERT OR REPLACE INTO problems VALUES (?, ?, ?, strftime('%s','now'))",
                (path, kind, reason),
            )

    def clear_problems(self) -> None:
        with _transaction(self._conn):
            self._conn.execute("DELETE FROM problems")

    def problems(self) -> list[tuple[str, str, str]]:
        rows = self._conn.execute("SELECT path, kind, reason FROM problems ORDER BY path")
        return [(r[0], r[1], r[2]) for r in rows]

    def mark_missing(self, paths: list[str]) -> None:
        with _transaction(self._conn):
            self._conn.executemany(
                "UPDATE files SET status = 'missing' WHERE path = ?", [(p,) for p in paths]
            )

    def forget_folders(self, paths: list[str]) -> None:
        with _transaction(self._conn):
            self._conn.executemany("DELETE FROM folders WHERE path = ?", [(p,) for p in paths])

    def meta(self, key: str) -> str | None:
        return _meta(self._conn, key)

    def set_meta(self, key: str, value: str) -> None:
        with _transaction(self._conn):
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def folders(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT path, remote_id FROM folders").fetchall())

    def set_folder(self, path: str, remote_id: str) -> None:
        with _transaction(self._conn):
            self._conn.execute("INSERT OR REPLACE INTO folders VALUES (?, ?)", (path, remote_id))

    def begin_intent(
        self,
        kind: str,
        path: str,
        name: str,
        folder_id: str | None,
        started_at: float,
        size: int | None = None,
        mtime_ns: int | None = None,
        remote_id: str | None = None,
    ) -> int:
        with _transaction(self._conn):
            cursor = self._conn.execute(
                "INSERT INTO intents (kind, path, name, folder_id, size, mtime_ns, remote_id,"
                " started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, path, name, folder_id, size, mtime_ns, remote_id, started_at),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def end_intents(self, path: str) -> None:
        with _transaction(self._conn):
            self._conn.execute("DELETE FROM intents WHERE path = ?", (path,))

    def end_intent(self, intent_id: int) -> None:
        with _transaction(self._conn):
            self._conn.execute("DELETE FROM intents WHERE id = ?", (intent_id,))

    def pending_intents(self) -> list[Intent]:
        rows = self._conn.execute(
            "SELECT id, kind, path, name, folder_id, size, mtime_ns, remote_id, started_at"
            " FROM intents ORDER BY id"
        ).fetchall()
        return [Intent(*row) for row in rows]

    def _put_entry(self, e: StateEntry) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.path,
                e.size,
                e.mtime_ns,
                e.sha256,
                e.remote_id,
                e.url,
                e.folder_id,
                e.uploaded_at,
                e.status,
            ),
        )


@contextlib.contextmanager
def hold_lock(state_file: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock beside the state file for the whole run.

    flock dies with the process, so a killed run never leaves a stale lock behind.
    """
    lock_path = state_file.with_name(state_file.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle: IO[str] = open(lock_path, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise StateError(f"cannot create lock file {lock_path}: {exc.strerror}") from exc
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockHeldError(
                f"another mediasync run holds {lock_path}: wait for it to finish"
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def _check_version(conn: sqlite3.Connection, path: Path) -> str | None:
    version = _meta(conn, "schema_version")
    if version is not None and int(version) > SCHEMA_VERSION:
        raise StateError(
            f"state file {path} has schema {version}, newer than this mediasync "
            f"({SCHEMA_VERSION}): upgrade mediasync"
        )
    return version


def _holds_files(conn: sqlite3.Connection) -> bool:
    """Whether any file was recorded or is being sent: folder ids alone tie the state to
    no root folder (they are keyed by their whole remote path)."""
    return any(
        conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
        for table in ("files", "intents", "stale")
    )


def _shown_folder(root_folder: str) -> str:
    return f'"{root_folder}"' if root_folder else '"" (the library root)'


def _holds_nothing(conn: sqlite3.Connection) -> bool:
    return not any(
        conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()
        for table in ("files", "folders", "intents", "stale")
    )


def _corrupt(path: Path, exc: sqlite3.DatabaseError) -> StateError:
    return StateError(
        f"state file {path} is unreadable or corrupt ({exc}): restore it from a backup if you "
        "have one; otherwise move it aside and run again, and mediasync will upload every file "
        "anew (the copies already in the library stay and are no longer managed)"
    )


def _meta(conn: sqlite3.Connection, key: str) -> str | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    return None if row is None else str(row[0])


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
