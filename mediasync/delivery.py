"""Getting one file's bytes into the library exactly once.

The API has no idempotency key: an upload whose answer was lost (timeout, dropped connection,
5xx, the gateway's 401 "Command timed out") may still have been stored. So after such an
ambiguous failure, before sending again, the target folder is listed: a copy with this name
that appeared since the first attempt and that no recorded file owns is ours, and is adopted
instead of uploading a second one. Further such copies are duplicates and are removed.
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

# Server and local clocks differ; a copy created this long before our first attempt still counts.
CLOCK_SKEW_S = 120.0


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
                copy = await adopt_copy(remote, parcel, started - CLOCK_SKEW_S, known_ids)
                if copy is not None:
                    return UploadResult(
                        copy.id, copy.url or "", await hash_file(parcel.path), parcel.size
                    )
            try:
                return await remote.upload(
                    parcel.path, parcel.size, parcel.name, parcel.folder_id, parcel.content_type
                )
            except RetryableError as exc:
                ambiguous = ambiguous or exc.ambiguous
                raise
    raise AssertionError("unreachable: tenacity reraises the last error")


async def adopt_copy(
    remote: RemoteLibrary, parcel: Parcel, since: float, known_ids: Collection[str]
) -> RemoteItem | None:
    """The oldest unowned copy named like `parcel` created since `since`; extras are deleted."""
    listing = await remote.list_items(parcel.folder_id, folders=False)
    copies = unowned_copies(listing, parcel.name, since, known_ids)
    if not copies:
        return None
    for extra in copies[1:]:
        with contextlib.suppress(NotFoundError):
            await remote.delete(extra.id)
    return copies[0]


def unowned_copies(
    listing: list[RemoteItem], name: str, since: float, known_ids: Collection[str]
) -> list[RemoteItem]:
    """Copies named `name`, made at or after `since`, that no recorded file owns; oldest first."""
    found = [
        item
        for item in listing
        if item.name == name and item.id not in known_ids and created_at_or_after(item, since)
    ]
    return sorted(found, key=lambda i: (i.created_at or "", i.id))


def created_at_or_after(item: RemoteItem, moment: float) -> bool:
    if not item.created_at:
        return True
    try:
        created = datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return True
    return created >= moment


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
