"""The OAuth token file: one location's access and refresh tokens on disk, owner-only.

JSON `{access_token, refresh_token, expires_at, issued_at, location_id}`. A refresh token is
single-use (GHL rotates it on every refresh), so losing the newest one means re-authorising
the app: every write goes to a temporary file that is fsynced and then renamed over the old
one, so a crash leaves either the old file or the new one, never a torn one. The file is
created 0600 and a file that others can read is refused rather than used.

`file_lock` serialises refreshes between processes (a `watch` and an `ls` sharing the file);
inside one process the authorizer's asyncio lock does that.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediasync.config import credential_flaw
from mediasync.errors import UsageError

OWNER_ONLY = 0o600


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What the token endpoint granted. repr shows neither token."""

    access_token: str
    refresh_token: str
    expires_at: float
    """Seconds since the epoch; 0 when no access token is known yet."""
    location_id: str
    issued_at: float = 0.0

    def __repr__(self) -> str:
        return (
            f"TokenSet(location_id={self.location_id!r}, expires_at={self.expires_at!r}, "
            "access_token='***', refresh_token='***')"
        )

    __str__ = __repr__

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "issued_at": self.issued_at,
            "location_id": self.location_id,
        }


def read_token_file(path: Path) -> TokenSet:
    """The tokens in `path`; UsageError saying what to do when it is missing, open or bad."""
    redo = f"run `mediasync oauth import` (or `oauth exchange`) to write {path} again"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError as exc:
        raise UsageError(
            f"no OAuth token file at {path}: run `mediasync oauth import -c CONFIG` with the "
            "app's refresh token on standard input, or `mediasync oauth exchange`"
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            # Each refresh renames a new file over the path, which would replace the link.
            raise UsageError(
                f"the OAuth token file {path} is a symbolic link: set [remote] oauth_file to "
                "the file itself"
            ) from exc
        raise UsageError(f"cannot read the OAuth token file {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as handle:
        mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
        if mode & 0o077:
            raise UsageError(
                f"the OAuth token file {path} can be read by others (mode {mode:04o}): "
                f"run `chmod 600 {path}`, and re-authorise the app if others may have read it"
            )
        raw = handle.read()
    try:
        data = json.loads(raw)
        tokens = TokenSet(
            access_token=_text(data, "access_token"),
            refresh_token=_text(data, "refresh_token"),
            expires_at=float(data.get("expires_at") or 0),
            location_id=_text(data, "location_id"),
            issued_at=float(data.get("issued_at") or 0),
        )
    except (ValueError, TypeError, AttributeError):
        # The text may hold tokens: name the file, never quote it.
        raise UsageError(f"the OAuth token file {path} is not valid: {redo}") from None
    if not tokens.refresh_token:
        raise UsageError(f"the OAuth token file {path} holds no refresh token: {redo}")
    flaw = credential_flaw(tokens.access_token) or credential_flaw(tokens.refresh_token)
    if flaw is not None:
        # Edited by hand, most likely; it would fail in an HTTP header, so say so before a run.
        raise UsageError(f"the OAuth token file {path} holds a token with {flaw}: {redo}")
    return tokens


def write_token_file(path: Path, tokens: TokenSet) -> None:
    """Replace `path` atomically with `tokens`, owner-only, durable before returning."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkstemp creates the file 0600 whatever the umask, before a byte is written.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(tokens.to_json(), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)


@contextlib.asynccontextmanager
async def file_lock(path: Path) -> AsyncIterator[None]:
    """Hold an exclusive flock on `<path>.lock`; waits in a thread so the loop runs on."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, OWNER_ONLY)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def _fsync_dir(directory: Path) -> None:
    # The rename is durable only once the directory entry is; some filesystems refuse this.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
