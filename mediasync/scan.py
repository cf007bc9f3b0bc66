"""Stat-only walks of the local root. Blocking: callers run these in a thread.

Nothing here reads file contents; that happens in the worker, just before an upload.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mediasync.models import LocalFile, LocalSnapshot, Rejection, name_of
from mediasync.rules import ignore_rules


def scan_tree(
    root: Path, ignore: Iterable[str] = (), exclude: Path | None = None, under: str = ""
) -> LocalSnapshot:
    """Every regular file under `root` that the ignore rules let through, keyed by relative path.

    `exclude` is a folder inside the root that is never synced (the state folder); `under`
    limits the walk to one folder of the root (paths stay relative to the root).
    """
    if not root.is_dir():
        return LocalSnapshot(root_exists=False)
    rules = ignore_rules(tuple(ignore))
    if under and rules(under):
        return LocalSnapshot.of([])
    excluded = os.path.realpath(exclude) if exclude is not None else None
    files: list[LocalFile] = []
    rejected: list[Rejection] = []
    unreadable: list[str] = []
    stack: list[tuple[str, str]] = [(str(root / under), f"{under}/" if under else "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            unreadable.append(prefix.rstrip("/"))
            continue
        for entry in entries:
            rel = f"{prefix}{entry.name}"
            # The folders above were let through on the way down: only this name and the
            # whole path are left to judge.
            if rules.name_matches(entry.name) or rules.path_matches(rel):
                continue
            bad_name = _bad_name(entry.name)
            if bad_name:
                rejected.append(Rejection(printable(rel), bad_name))
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if excluded is None or os.path.realpath(entry.path) != excluded:
                        stack.append((entry.path, f"{rel}/"))
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                rejected.append(Rejection(rel, f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISREG(info.st_mode):
                files.append(LocalFile(rel, info.st_size, info.st_mtime_ns))
            elif not stat.S_ISDIR(info.st_mode):
                rejected.append(Rejection(rel, "not a regular file (a pipe, socket or device)"))
    files, clashes = _without_clashes(files)
    rejected.extend(clashes)
    return LocalSnapshot.of(
        files, tuple(sorted(rejected, key=lambda r: r.path)), tuple(sorted(unreadable))
    )


def restat(root: Path, path: str) -> LocalFile | None:
    """The file's current size and mtime, or None when it is gone or no longer a regular file."""
    try:
        info = (root / path).stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return LocalFile(path, info.st_size, info.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class Folder:
    """A changed path that turned out to be a folder: what is under it changed."""

    path: str


def probe(root: Path, path: str) -> LocalFile | Rejection | Folder | None:
    """One path as a scan would judge it; None when it is gone. Blocking: run in a thread."""
    reason = _bad_name(name_of(path))
    if reason is not None:
        return Rejection(printable(path), reason)
    try:
        info = (root / path).stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return None
        return Rejection(path, f"cannot read: {exc.strerror}")
    if stat.S_ISDIR(info.st_mode):
        return Folder(path)
    if not stat.S_ISREG(info.st_mode):
        return Rejection(path, "not a regular file (a pipe, socket or device)")
    return LocalFile(path, info.st_size, info.st_mtime_ns)


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _without_clashes(files: list[LocalFile]) -> tuple[list[LocalFile], list[Rejection]]:
    """Keep one of several files whose names only differ in Unicode composition (NFC/NFD):
    in the library they would carry the same name, and one could be taken for the other."""
    kept: dict[str, LocalFile] = {}
    clashes: list[Rejection] = []
    for file in sorted(files, key=lambda f: f.path):
        key = file.path if file.path.isascii() else unicodedata.normalize("NFC", file.path)
        if key in kept:
            reason = f"same name as {kept[key].path!r} once composed: rename one of them"
            clashes.append(Rejection(printable(file.path), reason))
        else:
            kept[key] = file
    return list(kept.values()), clashes  # still in path order: kept in the order seen


def _bad_name(name: str) -> str | None:
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return "name is not valid UTF-8: rename it"
    if _CONTROL.search(name):
        return "name holds control characters (a line break, say): rename it"
    return None


def printable(path: str) -> str:
    """`path` safe to print on one line: undecodable bytes and control characters escaped."""
    text = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if 32 <= ord(c) != 127 else f"\\x{ord(c):02x}" for c in text)
