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
from dataclasses import dataclass
from enum import Enum
from functools import partial
from pathlib import Path

from mediasync.delivery import copies_of_ours, dating_window, hash_file, unowned_copies
from mediasync.errors import LocalFileError, NotFoundError
from mediasync.models import Action, ActionKind, Outcome, OutcomeKind, RemoteItem, StateEntry
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.scan import restat
from mediasync.state import Intent, StateStore


class Settled(Enum):
    NOTHING = "nothing"  # no copy of that name was made in the attempt's time
    ADOPTED = "adopted"
    LEFT = "left"  # a copy that may be ours could not be proved so, and was left in place


@dataclass(frozen=True, slots=True)
class Recovery:
    adopted: int = 0
    # Paths for which a copy made in the crashed attempt's time was left in the library: it
    # may be a leftover of ours (the file changed since), or someone else's; only a person
    # can tell.
    left: tuple[str, ...] = ()


async def resolve_intents(
    remote: RemoteLibrary,
    store: StateStore,
    root: Path,
    retry: RetryPolicy,
    clock: Callable[[], float],
    skip: Collection[str] = (),
    attempt_timeout: float = 300.0,
) -> Recovery:
    """Settle every unfinished intent, except those of `skip` (paths a worker is busy with)."""
    intents = [i for i in store.pending_intents() if i.path not in skip]
    if not intents:
        return Recovery()
    listings: dict[str | None, list[RemoteItem]] = {}
    adopted = 0
    left: list[str] = []
    for intent in intents:
        if intent.kind == "upload":
            if intent.folder_id not in listings:
                listings[intent.folder_id] = await call_with_retries(
                    retry, partial(remote.list_items, intent.folder_id, folders=False)
                )
            listing = listings[intent.folder_id]
            # Its last attempt began before the retry deadline and lasted one timeout at most.
            longest = retry.deadline + attempt_timeout
            settled = await _settle_upload(
                intent, listing, remote, store, root, retry, clock, longest
            )
            adopted += settled is Settled.ADOPTED
            if settled is Settled.LEFT:
                left.append(intent.path)
        store.end_intent(intent.id)
    return Recovery(adopted, tuple(left))


async def _settle_upload(
    intent: Intent,
    listing: list[RemoteItem],
    remote: RemoteLibrary,
    store: StateStore,
    root: Path,
    retry: RetryPolicy,
    clock: Callable[[], float],
    longest: float,
) -> Settled:
    state = store.snapshot()
    known = {e.remote_id for e in state.entries.values()} | {s.remote_id for s in state.stale}
    window = dating_window(remote, intent.started_at, intent.started_at + longest)
    if not unowned_copies(listing, intent.name, window, known):
        return Settled.NOTHING
    current = await asyncio.to_thread(restat, root, intent.path)
    if current is None:
        return Settled.LEFT  # gone locally: nothing to prove a copy ours by
    try:
        sha256 = await hash_file(root / intent.path)
    except LocalFileError:
        return Settled.LEFT
    copies = await copies_of_ours(remote, listing, intent.name, window, known, sha256)
    if not copies:
        return Settled.LEFT
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
    return Settled.ADOPTED
