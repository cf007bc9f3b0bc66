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
from operator import attrgetter
from pathlib import Path

from mediasync.models import LocalFile, LocalSnapshot, Rejection, name_of
from mediasync.rules import ignore_rules

SYMLINK_SKIPPED = (
    "a symbolic link: skipped (set [local] follow_symlinks = true to follow links that stay "
    "inside the folder)"
)
OUTSIDE_ROOT = "a symbolic link to outside the synced folder: skipped; move or copy the target in"
LINK_LOOP = "a symbolic link back to a folder already walked: skipped (a link loop)"
LINK_CYCLE = (
    "a symbolic link that leads back to itself (a link loop, never reaching a file): skipped; "
    "fix or remove the link"
)
BROKEN_LINK = "a broken symbolic link (its target is gone): skipped; fix or remove the link"
UNREADABLE_FILE = "cannot read: permission denied; fix its permissions"
NOT_REGULAR = (
    "not a regular file (a pipe, socket or device): skipped; add it to [local] ignore to "
    "silence this"
)


def scan_tree(
    root: Path,
    ignore: Iterable[str] = (),
    exclude: Path | None = None,
    under: str = "",
    follow_symlinks: bool = False,
) -> LocalSnapshot:
    """Every regular file under `root` that the ignore rules let through, keyed by relative path.

    `exclude` is a folder inside the root that is never synced (the state folder); `under`
    limits the walk to one folder of the root (paths stay relative to the root). Symbolic links
    are reported and skipped unless `follow_symlinks`; then only those resolving inside the
    root are followed, each real folder walked once (no loops).
    """
    if not root.is_dir():
        return LocalSnapshot(root_exists=False)
    rules = ignore_rules(tuple(ignore))
    if under and rules(under):
        return LocalSnapshot.of([])
    excluded = os.path.realpath(exclude) if exclude is not None else None
    real_root = os.path.realpath(root)
    files: list[LocalFile] = []
    rejected: list[Rejection] = []
    unreadable: list[str] = []
    start = str(root / under)
    walked = {_identity(start)}
    stack: list[tuple[str, str]] = [(start, f"{under}/" if under else "")]
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
                if entry.is_symlink():
                    reason = _link_problem(entry.path, real_root, follow_symlinks)
                    if reason is not None:
                        rejected.append(Rejection(rel, reason))
                        continue
                info = entry.stat(follow_symlinks=True)
            except OSError as exc:
                rejected.append(Rejection(rel, _unreadable(exc)))
                continue
            if stat.S_ISDIR(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity in walked:
                    rejected.append(Rejection(rel, LINK_LOOP))
                elif excluded is None or os.path.realpath(entry.path) != excluded:
                    walked.add(identity)
                    stack.append((entry.path, f"{rel}/"))
            elif not stat.S_ISREG(info.st_mode):
                rejected.append(Rejection(rel, NOT_REGULAR))
            elif not os.access(entry.path, os.R_OK):
                rejected.append(Rejection(rel, UNREADABLE_FILE))
            else:
                files.append(LocalFile(rel, info.st_size, info.st_mtime_ns))
    files, clashes = _without_clashes(files)
    rejected.extend(clashes)
    return LocalSnapshot.of(
        files, tuple(sorted(rejected, key=lambda r: r.path)), tuple(sorted(unreadable))
    )


def _identity(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _link_problem(path: str, real_root: str, follow: bool) -> str | None:
    """Why the symbolic link at `path` is not followed, or None to follow it."""
    if not follow:
        return SYMLINK_SKIPPED
    target = os.path.realpath(path)
    if os.path.commonpath([real_root, target]) != real_root:
        return OUTSIDE_ROOT
    if not os.path.exists(target):
        # Both end nowhere, but a loop (`ln -s x x`) has no target to restore.
        return LINK_CYCLE if _loops(path) else BROKEN_LINK
    return None


def _loops(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _unreadable(exc: OSError) -> str:
    return f"cannot read: {exc.strerror}; check that it exists and its permissions"


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


def probe(
    root: Path, path: str, follow_symlinks: bool = False
) -> LocalFile | Rejection | Folder | None:
    """One path as a scan would judge it; None when it is gone. Blocking: run in a thread."""
    reason = _bad_name(name_of(path))
    if reason is not None:
        return Rejection(printable(path), reason)
    try:
        if (root / path).is_symlink():
            problem = _link_problem(str(root / path), os.path.realpath(root), follow_symlinks)
            if problem is not None:
                return Rejection(path, problem)
        info = (root / path).stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENOTDIR:
            return None
        return Rejection(path, _unreadable(exc))
    if stat.S_ISDIR(info.st_mode):
        return Folder(path)
    if not stat.S_ISREG(info.st_mode):
        return Rejection(path, NOT_REGULAR)
    return LocalFile(path, info.st_size, info.st_mtime_ns)


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _without_clashes(files: list[LocalFile]) -> tuple[list[LocalFile], list[Rejection]]:
    """Keep one of several files whose names only differ in Unicode composition (NFC/NFD):
    in the library they would carry the same name, and one could be taken for the other.

    The composed (NFC) spelling is kept, as the library names it: which one is sent must not
    hang on the order the folder lists them in."""
    # Asked of every file on every scan: the common case (no clash) costs one dict entry each.
    first_seen: dict[str, LocalFile] = {}
    clashing: dict[str, list[LocalFile]] = {}
    for file in files:
        key = file.path if file.path.isascii() else unicodedata.normalize("NFC", file.path)
        seen = first_seen.setdefault(key, file)
        if seen is not file:
            clashing.setdefault(key, [seen]).append(file)
    clashes: list[Rejection] = []
    for key, group in clashing.items():
        first, *others = sorted(group, key=lambda f: (f.path != key, f.path))
        first_seen[key] = first
        for other in others:
            clashes.append(Rejection(printable(other.path), _clash(other.path, first.path)))
    kept = list(first_seen.values())
    kept.sort(key=attrgetter("path"))
    return kept, clashes


def _clash(refused: str, kept: str) -> str:
    """Why `refused` is not sent, telling two spellings apart that print the same."""
    return (
        f"same name as {printable(kept)!r} once composed: this one is spelled "
        f"{_spelling(refused)}, the one sent {_spelling(kept)}; rename one of them"
    )


def _spelling(path: str) -> str:
    """How the path's accents are spelled, e.g. "decomposed (NFD: Cafe\\u0301.png)"."""
    if unicodedata.is_normalized("NFC", path):
        form = "composed (NFC: "
    elif unicodedata.is_normalized("NFD", path):
        form = "decomposed (NFD: "
    else:
        form = "partly composed ("
    return f"{form}{_code_points(path)})"


def _code_points(path: str) -> str:
    """The path with each character past ASCII written as its code point."""
    return "".join(
        c if c.isascii() else f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
        for c in printable(path)
    )


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
