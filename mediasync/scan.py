"""Stat-only walks of the local root. Blocking: callers run these in a thread.

Nothing here reads file contents; that happens in the worker, just before an upload.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from mediasync.models import LocalFile, LocalSnapshot, Rejection
from mediasync.rules import is_ignored


def scan_tree(root: Path, ignore: Iterable[str] = (), exclude: Path | None = None) -> LocalSnapshot:
    """Every regular file under `root` that the ignore rules let through, keyed by relative path.

    `exclude` is a folder inside the root that is never synced (the state folder).
    """
    if not root.is_dir():
        return LocalSnapshot(root_exists=False)
    patterns = tuple(ignore)
    excluded = os.path.realpath(exclude) if exclude is not None else None
    files: list[LocalFile] = []
    problems: list[Rejection] = []
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            problems.append(Rejection(prefix or ".", f"cannot read folder: {exc.strerror}"))
            continue
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            if is_ignored(rel, patterns):
                continue
            if not _is_utf8(entry.name):
                problems.append(Rejection(_printable(rel), "name is not valid UTF-8: rename it"))
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if excluded is None or os.path.realpath(entry.path) != excluded:
                        stack.append((entry.path, f"{rel}/"))
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                problems.append(Rejection(rel, f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISREG(info.st_mode):
                files.append(LocalFile(rel, info.st_size, info.st_mtime_ns))
    files.sort(key=lambda f: f.path)
    return LocalSnapshot.of(files, tuple(sorted(problems, key=lambda p: p.path)))


def restat(root: Path, path: str) -> LocalFile | None:
    """The file's current size and mtime, or None when it is gone or no longer a regular file."""
    try:
        info = (root / path).stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return LocalFile(path, info.st_size, info.st_mtime_ns)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8")
