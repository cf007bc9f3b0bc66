"""Noticing what people changed in the web app: the API sends no webhooks, so mediasync looks.

A check lists each remote folder that holds recorded files, and each known folder's parent,
and compares: a recorded file whose id is gone is marked missing (the plan then re-sends or
reports it), a known folder that is gone is forgotten (so it is made again when needed).
It costs about two requests per folder, which is why it runs on an interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from mediasync.models import MISSING, parent_of
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.state import StateStore

LAST_CHECK = "last_remote_check"


@dataclass(frozen=True, slots=True)
class DriftReport:
    missing: tuple[str, ...]
    folders_gone: tuple[str, ...]


def check_due(store: StateStore, interval: float, now: float) -> bool:
    last = store.meta(LAST_CHECK)
    return last is None or now - float(last) >= interval


async def check_remote(
    remote: RemoteLibrary,
    store: StateStore,
    retry: RetryPolicy,
    clock: Callable[[], float],
) -> DriftReport:
    folders = store.folders()
    known_folder_ids = {"": None, **folders}
    gone = await _gone_folders(remote, known_folder_ids, retry)
    store.forget_folders(sorted(gone))

    state = store.snapshot()
    live_files: set[str] = set()
    gone_ids = {folders[path] for path in gone}
    for folder_id in sorted({e.folder_id for e in state.entries.values()}, key=str):
        if folder_id in gone_ids:
            continue
        listing = await call_with_retries(
            retry, partial(remote.list_items, folder_id, folders=False)
        )
        live_files.update(item.id for item in listing)
    missing = sorted(
        e.path
        for e in state.entries.values()
        if e.remote_id not in live_files and e.status != MISSING
    )
    store.mark_missing(missing)
    store.set_meta(LAST_CHECK, repr(clock()))
    return DriftReport(tuple(missing), tuple(sorted(gone)))


async def _gone_folders(
    remote: RemoteLibrary, known: dict[str, str | None], retry: RetryPolicy
) -> set[str]:
    """Known folder paths whose folder no longer appears in its parent's listing."""
    gone: set[str] = set()
    children: dict[str | None, set[str]] = {}
    for path in sorted(known, key=lambda p: p.count("/")):
        if not path:
            continue
        parent = parent_of(path)
        if parent in gone or parent not in known:
            gone.add(path)
            continue
        parent_id = known[parent]
        if parent_id not in children:
            listing = await call_with_retries(
                retry, partial(remote.list_items, parent_id, folders=True)
            )
            children[parent_id] = {item.id for item in listing}
        if known[path] not in children[parent_id]:
            gone.add(path)
    return gone
