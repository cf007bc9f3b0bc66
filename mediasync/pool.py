"""The worker pool: a bounded queue feeding N workers, and one consumer that records outcomes.

An intent is committed just before a worker starts an action, so a run killed at any instant
leaves a state that `recovery` can settle. When `stop` is set, no new action starts; actions in
flight get `grace` seconds to finish, then are cancelled (their intents settle the next run).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from mediasync.models import Action, Outcome, OutcomeKind, parent_of, remote_name
from mediasync.state import StateStore
from mediasync.worker import UPLOADS, WorkerContext, perform

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PoolControl:
    concurrency: int
    stop: asyncio.Event
    grace: float
    sleep: Sleep
    clock: Callable[[], float]


async def run_pool(
    actions: Sequence[Action],
    ctx: WorkerContext,
    store: StateStore,
    control: PoolControl,
    on_outcome: Callable[[Outcome], None],
) -> list[Outcome]:
    """Perform `actions`; return the outcomes of those that finished, in finishing order."""
    if not actions or control.stop.is_set():
        return []
    todo: asyncio.Queue[Action | None] = asyncio.Queue(maxsize=control.concurrency * 2)
    done: asyncio.Queue[Outcome | None] = asyncio.Queue()
    outcomes: list[Outcome] = []
    count = min(control.concurrency, len(actions))
    consumer = asyncio.create_task(_consume(done, store, on_outcome, outcomes))
    workers = [asyncio.create_task(_work(todo, done, ctx, store, control)) for _ in range(count)]
    feeder = asyncio.create_task(_feed(todo, actions, count, control.stop))
    cutoff = asyncio.create_task(_cut_off(workers, control))
    try:
        # Not the feeder: once the cut-off cancels the workers it may wait on a full queue.
        await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in (*workers, feeder, cutoff):
            task.cancel()
        await asyncio.gather(*workers, feeder, cutoff, return_exceptions=True)
        done.put_nowait(None)
        await consumer
    for task in workers:
        if not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return outcomes


async def _feed(
    todo: asyncio.Queue[Action | None], actions: Sequence[Action], workers: int, stop: asyncio.Event
) -> None:
    for action in actions:
        if stop.is_set():
            break
        await todo.put(action)
    for _ in range(workers):
        await todo.put(None)


async def _work(
    todo: asyncio.Queue[Action | None],
    done: asyncio.Queue[Outcome | None],
    ctx: WorkerContext,
    store: StateStore,
    control: PoolControl,
) -> None:
    while (action := await todo.get()) is not None:
        if control.stop.is_set():
            continue
        _begin_intent(store, action, ctx, control.clock())
        done.put_nowait(await perform(action, ctx))


async def _consume(
    done: asyncio.Queue[Outcome | None],
    store: StateStore,
    on_outcome: Callable[[Outcome], None],
    outcomes: list[Outcome],
) -> None:
    while (outcome := await done.get()) is not None:
        store.record(outcome)
        # A failed upload may still have been stored, its answer lost: its intent stays so
        # that the next run lists the folder and adopts the copy instead of sending another.
        if not (outcome.kind is OutcomeKind.FAILED and outcome.action.kind in UPLOADS):
            store.end_intents(outcome.path)
        outcomes.append(outcome)
        on_outcome(outcome)


async def _cut_off(workers: list[asyncio.Task[None]], control: PoolControl) -> None:
    await control.stop.wait()
    with contextlib.suppress(asyncio.CancelledError):
        await control.sleep(control.grace)
        for worker in workers:
            worker.cancel()


def _begin_intent(store: StateStore, action: Action, ctx: WorkerContext, now: float) -> None:
    if action.kind in UPLOADS:
        assert action.local is not None
        store.begin_intent(
            "upload",
            action.path,
            remote_name(action.path),
            ctx.folder_ids[parent_of(action.path)],
            now,
            size=action.local.size,
            mtime_ns=action.local.mtime_ns,
        )
    else:
        remote_id = action.stale_id or (action.previous.remote_id if action.previous else None)
        store.begin_intent(
            "delete", action.path, remote_name(action.path), None, now, remote_id=remote_id
        )
