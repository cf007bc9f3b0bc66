"""Resolving intents left by a run that died mid-upload or mid-delete (DESIGN.md invariant 1).

An upload intent is settled by listing its target folder: a copy proved ours (the intended
name, dated after the intent started, unknown to the state, serving the local file's bytes:
see delivery.py) is adopted, recorded with the file's hash; any further copies of ours are
duplicates from retries and are removed. A copy that cannot be proved ours is left alone,
and the plan sends the file again. A delete intent needs nothing: the plan sees the recorded
file again and deletes it again, and a second delete of a gone file is fine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path

from mediasync.delivery import copies_of_ours, dating_window, hash_file
from mediasync.errors import LocalFileError, NotFoundError
from mediasync.models import Action, ActionKind, Outcome, OutcomeKind, RemoteItem, StateEntry
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.scan import restat
from mediasync.state import Intent, StateStore


async def resolve_intents(
    remote: RemoteLibrary,
    store: StateStore,
    root: Path,
    retry: RetryPolicy,
    clock: Callable[[], float],
    skip: Collection[str] = (),
    attempt_timeout: float = 300.0,
) -> int:
    """Settle every unfinished intent, except those of `skip` (paths a worker is busy with);
    return how many copies were adopted."""
    intents = [i for i in store.pending_intents() if i.path not in skip]
    if not intents:
        return 0
    listings: dict[str | None, list[RemoteItem]] = {}
    adopted = 0
    for intent in intents:
        if intent.kind == "upload":
            if intent.folder_id not in listings:
                listings[intent.folder_id] = await call_with_retries(
                    retry, partial(remote.list_items, intent.folder_id, folders=False)
                )
            listing = listings[intent.folder_id]
            # Its last attempt began before the retry deadline and lasted one timeout at most.
            longest = retry.deadline + attempt_timeout
            adopted += await _settle_upload(
                intent, listing, remote, store, root, retry, clock, longest
            )
        store.end_intent(intent.id)
    return adopted


async def _settle_upload(
    intent: Intent,
    listing: list[RemoteItem],
    remote: RemoteLibrary,
    store: StateStore,
    root: Path,
    retry: RetryPolicy,
    clock: Callable[[], float],
    longest: float,
) -> int:
    if not any(item.name == intent.name for item in listing):
        return 0
    current = await asyncio.to_thread(restat, root, intent.path)
    if current is None:
        return 0  # gone locally: nothing to prove a copy ours by
    try:
        sha256 = await hash_file(root / intent.path)
    except LocalFileError:
        return 0
    state = store.snapshot()
    known = {e.remote_id for e in state.entries.values()} | {s.remote_id for s in state.stale}
    window = dating_window(remote, intent.started_at, intent.started_at + longest)
    copies = await copies_of_ours(remote, listing, intent.name, window, known, sha256)
    if not copies:
        return 0
    keep, extras = copies[0], copies[1:]
    previous = state.entries.get(intent.path)
    entry = StateEntry(
        intent.path,
        current.size,
        current.mtime_ns,
        sha256,
        keep.id,
        keep.url or "",
        intent.folder_id,
        clock(),
    )
    kind = ActionKind.REPLACE if previous else ActionKind.UPLOAD
    stale_id = previous.remote_id if previous and previous.remote_id != keep.id else None
    action = Action(kind, intent.path, previous=previous)
    store.record(Outcome(OutcomeKind.UPLOADED, action, entry, stale_id=stale_id))
    for extra in extras:
        with contextlib.suppress(NotFoundError):
            await call_with_retries(retry, partial(remote.delete, extra.id))
    return 1
