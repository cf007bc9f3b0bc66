"""A thin adapter over `watchfiles.awatch`: batches of changed paths, relative to the root.

The kinds of change are dropped on purpose: they are hints that can be wrong or missing (a
rename may arrive as a delete and an add, or as nothing at all on some file systems), so the
daemon decides everything from a fresh stat. Ignored names are filtered here so that editor
swap files and downloads in progress never even wake it.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections.abc import AsyncIterator
from pathlib import Path

from watchfiles import Change, awatch

from mediasync.rules import is_ignored

RAISE_LIMIT_HINT = (
    "raise it with `sudo sysctl fs.inotify.max_user_watches=524288` (add the line "
    "fs.inotify.max_user_watches=524288 to /etc/sysctl.d/90-mediasync.conf to keep it)"
)


def relative_to_root(root: str, path: str) -> str | None:
    """`path` as a relative POSIX path under `root`, or None for the root itself or outside."""
    rel = os.path.relpath(path, root)
    if rel == "." or rel == ".." or rel.startswith(f"..{os.sep}"):
        return None
    return rel.replace(os.sep, "/")


def is_watch_limit(exc: BaseException) -> bool:
    """Whether the OS refused more watches (inotify's max_user_watches, say)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return "watch limit" in str(exc).lower()


async def watch_paths(
    root: Path,
    ignore: tuple[str, ...],
    exclude: Path | None,
    stop: asyncio.Event,
    poll: bool = False,
) -> AsyncIterator[set[str]]:
    """Yield sets of changed relative paths until `stop` is set. Errors propagate."""
    base = str(root)
    excluded = str(exclude) if exclude is not None else None

    def wanted(_change: Change, path: str) -> bool:
        if excluded is not None and (path == excluded or path.startswith(excluded + os.sep)):
            return False
        rel = relative_to_root(base, path)
        return rel is not None and not is_ignored(rel, ignore)

    async for changes in awatch(
        root,
        watch_filter=wanted,
        stop_event=stop,
        force_polling=poll,
        debounce=400,
        step=50,
        ignore_permission_denied=True,
    ):
        paths = {rel for _, path in changes if (rel := relative_to_root(base, path)) is not None}
        if paths:
            yield paths
