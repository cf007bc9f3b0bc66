"""Getting one file's bytes into the library exactly once.

The API has no idempotency key: an upload whose answer was lost (timeout, dropped connection,
5xx, the gateway's 401 "Command timed out") may still have been stored. So after such an
ambiguous failure, before sending again, the target folder is listed for a copy of ours and
it is adopted instead of uploading a second one; further copies of ours are duplicates from
retries and are removed.

A copy is ours only when all of this holds: no recorded file owns it, it has this name, the
service dates it between our first attempt and the last moment an attempt of ours could have
reached it (in the service's time, known from its Date headers to a few seconds), and its
hosted URL serves exactly our bytes. Anything less (no date, an unreadable URL, other bytes,
made before we started) may be someone else's upload, so it is never adopted nor deleted: the
worst that can follow is a duplicate of ours left beside it. What remains unprovable is a
file of the same name and the very same bytes that someone else put in this very folder in
those few seconds (or, after a crash, before the attempt's deadline ran out).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mediasync.errors import LocalFileError, NotFoundError, RetryableError
from mediasync.models import RemoteItem, UploadResult
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy, retrying

# How far our clock may be from the service's: when its Date headers have said how far (to the
# second), a few seconds; before that, two minutes.
CLOCK_SKEW_S = 120.0
DATE_MARGIN_S = 3.0


@dataclass(frozen=True, slots=True)
class Parcel:
    """One upload: which file, how much of it, under what name, into which folder."""

    path: Path
    size: int
    name: str
    folder_id: str | None
    content_type: str


async def deliver(
    remote: RemoteLibrary,
    parcel: Parcel,
    retry: RetryPolicy,
    clock: Callable[[], float],
    known_ids: Collection[str],
) -> UploadResult:
    """Upload with retries; never leave two copies behind for one call."""
    started = clock()
    ambiguous = False
    async for attempt in retrying(retry):
        with attempt:
            if ambiguous:
                sha256 = await hash_file(parcel.path)
                window = dating_window(remote, started, clock())
                copy = await adopt_copy(remote, parcel, window, known_ids, sha256)
                if copy is not None:
                    return UploadResult(copy.id, copy.url or "", sha256, parcel.size)
            try:
                return await remote.upload(
                    parcel.path, parcel.size, parcel.name, parcel.folder_id, parcel.content_type
                )
            except RetryableError as exc:
                ambiguous = ambiguous or exc.ambiguous
                raise
    raise AssertionError("unreachable: tenacity reraises the last error")


def dating_window(remote: RemoteLibrary, first: float, last: float) -> tuple[float, float]:
    """The service's dates a copy made by attempts between `first` and `last` (our clock) can
    bear."""
    offset = remote.server_clock_offset()
    margin = CLOCK_SKEW_S if offset is None else DATE_MARGIN_S
    shift = offset or 0.0
    return first + shift - margin, last + shift + margin


async def adopt_copy(
    remote: RemoteLibrary,
    parcel: Parcel,
    window: tuple[float, float],
    known_ids: Collection[str],
    sha256: str,
) -> RemoteItem | None:
    """The oldest copy of ours (see above) in the parcel's folder; later ones are deleted."""
    listing = await remote.list_items(parcel.folder_id, folders=False)
    ours = await copies_of_ours(remote, listing, parcel.name, window, known_ids, sha256)
    if not ours:
        return None
    for extra in ours[1:]:
        with contextlib.suppress(NotFoundError):
            await remote.delete(extra.id)
    return ours[0]


async def copies_of_ours(
    remote: RemoteLibrary,
    listing: list[RemoteItem],
    name: str,
    window: tuple[float, float],
    known_ids: Collection[str],
    sha256: str,
) -> list[RemoteItem]:
    """The copies in `listing` proved ours (see above), oldest first."""
    ours = []
    for item in unowned_copies(listing, name, window, known_ids):
        if item.url and await remote.hosted_sha256(item.url) == sha256:
            ours.append(item)
    return ours


def unowned_copies(
    listing: list[RemoteItem], name: str, window: tuple[float, float], known_ids: Collection[str]
) -> list[RemoteItem]:
    """Copies named `name`, dated within `window`, that no recorded file owns; oldest first.
    An undated copy is left out: nothing shows when it was made."""
    found = [
        item
        for item in listing
        if item.name == name and item.id not in known_ids and dated_within(item, window)
    ]
    return sorted(found, key=lambda i: (i.created_at or "", i.id))


def dated_within(item: RemoteItem, window: tuple[float, float]) -> bool:
    if not item.created_at:
        return False
    try:
        created = datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return False
    return window[0] <= created <= window[1]


async def hash_file(path: Path) -> str:
    """The file's sha256, computed in a worker thread so the event loop keeps moving bytes."""
    try:
        return await asyncio.to_thread(_hash_blocking, path)
    except OSError as exc:
        raise LocalFileError(f"cannot read: {exc.strerror}") from exc


def _hash_blocking(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
