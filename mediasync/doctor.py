"""`mediasync doctor`: the checks a user needs before trusting a sync, each one passing or
saying exactly what to fix. Local checks touch nothing; remote checks are cheap reads, plus an
upload and delete of one tiny test image only when asked (`--write`).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from mediasync.config import Settings
from mediasync.errors import MediasyncError, RateLimitedError, RetryableError
from mediasync.folders import find_folder
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy
from mediasync.state import StateStore

PROBE_NAME = "mediasync-doctor-check.png"
# A 1x1 transparent PNG: the smallest file every Media Library accepts.
PROBE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# A 429 is not a failure of the service: wait it out this many times before saying so.
RATE_LIMIT_TRIES = 3

class Status(Enum):
    PASS = "ok"
    FAIL = "FAIL"
    SKIP = "skip"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    exit_code: int = 0


def failed(name: str, exc: MediasyncError) -> Check:
    return Check(name, Status.FAIL, str(exc), exc.exit_code)


def check_local(settings: Settings) -> list[Check]:
    """The folder to sync and the state file, read only."""
    root = settings.local_path
    checks: list[Check] = []
    problem: str | None = None
    try:
        with os.scandir(root) as entries:
            count = sum(1 for _ in entries)
    except FileNotFoundError:
        problem = f"{root} does not exist: create it or fix [local] path"
    except NotADirectoryError:
        problem = f"{root} is a file: [local] path needs a folder"
    except PermissionError:
        problem = f"{root} cannot be read by this user: fix its permissions"
    else:
        noun = "entry" if count == 1 else "entries"
        shown = f"{root}: a readable folder with {count} {noun} at the top"
        checks.append(Check("local", Status.NOTE if count == 0 else Status.PASS, shown))
    if problem is not None:
        checks.append(Check("local", Status.FAIL, problem, 3))
    checks.append(_check_state(settings))
    return checks


def _check_state(settings: Settings) -> Check:
    path = settings.state_file
    try:
        store = StateStore.open_existing(path, settings.location_id, settings.root_folder)
    except MediasyncError as exc:
        return failed("state", exc)
    if store is None:
        writable = _nearest_existing(path.parent)
        if not os.access(writable, os.W_OK):
            return Check(
                "state",
                Status.FAIL,
                f"no state yet, and {writable} is not writable: the first sync could not create "
                f"{path} (fix the permissions or set [sync] state_file)",
                3,
            )
        return Check("state", Status.PASS, f"no state yet: the first sync creates {path}")
    try:
        recorded = store.count()
    finally:
        store.close()
    return Check("state", Status.PASS, f"{path}: {recorded} files recorded for this location")


def _nearest_existing(folder: Path) -> Path:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


async def check_remote(
    remote: RemoteLibrary,
    settings: Settings,
    retry: RetryPolicy,
    limits: Callable[[], Mapping[str, str]],
    write: bool,
    clock: Callable[[], float] = time.monotonic,
) -> list[Check]:
    """The API answers, the token reads the location; with `write`, it can upload and delete."""
    started = clock()
    try:
        throttled = await _check_access(remote)
    except RateLimitedError as exc:
        return [
            Check(
                "api",
                Status.FAIL,
                f"{exc}: the rate limit stayed spent (another run using it?); try again later",
                1,
            )
        ]
    except RetryableError as exc:
        # Exit 1, as a sync that cannot reach the service: it may pass on the next try.
        if exc.status is None:
            return [Check("api", Status.FAIL, f"{exc}: check [remote] base_url and the network", 1)]
        return [Check("api", Status.FAIL, f"{exc}: the service is failing; try again later", 1)]
    except MediasyncError as exc:
        return [
            Check("api", Status.PASS, f"{settings.base_url} answers"),
            failed("read", exc),
        ]
    took = (clock() - started) * 1000
    waited = f", after {throttled} rate-limited (429) answer(s) waited out" if throttled else ""
    checks = [
        Check("api", Status.PASS, f"{settings.base_url} answered in {took:.0f} ms{waited}"),
        Check(
            "read",
            Status.PASS,
            f"the token reads the Media Library of location {settings.location_id} "
            "(medias.readonly)",
        ),
        _describe_limits(limits()),
    ]
    if not write:
        checks.append(
            Check(
                "write",
                Status.SKIP,
                "not tried: `mediasync doctor --write` uploads and deletes one 1-pixel image",
            )
        )
        return checks
    checks.append(await _check_write(remote, settings, retry))
    return checks


async def _check_access(remote: RemoteLibrary) -> int:
    """Ask once; a 429 (a sync running beside, say) is waited out as the client's limiter
    says, up to RATE_LIMIT_TRIES times. Returns how many 429s were met."""
    for throttled in range(RATE_LIMIT_TRIES):
        try:
            await remote.check_access()
        except RateLimitedError:
            if throttled == RATE_LIMIT_TRIES - 1:
                raise
            continue
        return throttled
    raise AssertionError("unreachable")


async def _check_write(remote: RemoteLibrary, settings: Settings, retry: RetryPolicy) -> Check:
    try:
        parent = await find_folder(remote, settings.root_folder, retry)
        where = f"{settings.root_folder}/" if settings.root_folder else "the library's top level"
    except LookupError:
        parent, where = None, "the library's top level (the root folder does not exist yet)"
    with tempfile.TemporaryDirectory(prefix="mediasync-doctor-") as scratch:
        probe = Path(scratch) / PROBE_NAME
        probe.write_bytes(PROBE_PNG)
        try:
            uploaded = await remote.upload(probe, len(PROBE_PNG), PROBE_NAME, parent, "image/png")
        except MediasyncError as exc:
            return Check("write", Status.FAIL, f"upload refused: {exc}", exc.exit_code)
    try:
        await remote.delete(uploaded.remote_id)
    except MediasyncError as exc:
        return Check(
            "write",
            Status.FAIL,
            f"uploaded {PROBE_NAME} into {where} but could not delete it ({exc}); delete it in "
            "the Media Library",
            exc.exit_code,
        )
    return Check(
        "write",
        Status.PASS,
        f"uploaded and deleted {PROBE_NAME} in {where} (medias.write)",
    )


def _describe_limits(headers: Mapping[str, str]) -> Check:
    if not headers:
        return Check("limits", Status.NOTE, "the answer carried no x-ratelimit-* headers")
    burst = headers.get("x-ratelimit-max", "?")
    interval = _seconds(headers.get("x-ratelimit-interval-milliseconds"))
    left = headers.get("x-ratelimit-remaining", "?")
    daily = headers.get("x-ratelimit-limit-daily", "?")
    daily_left = headers.get("x-ratelimit-daily-remaining", "?")
    reset = _seconds(headers.get("x-ratelimit-daily-reset"))
    resets = f", the day resets in {_duration(reset)}" if reset is not None else ""
    detail = (
        f"{burst} requests per {_duration(interval) if interval else '?'} ({left} left now); "
        f"{daily_left} of {daily} left today{resets}"
    )
    trial = burst == "25"
    if trial:
        detail += " (trial-account limits)"
    return Check("limits", Status.PASS, detail)


def _seconds(ms: str | None) -> float | None:
    try:
        return float(ms) / 1000 if ms is not None else None
    except ValueError:
        return None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min"
