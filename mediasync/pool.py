"""The worker pool: a bounded queue feeding N workers, and one consumer that records outcomes.

`sync` hands the pool a fixed list of actions (`run_pool`); `watch` keeps one pool open for
hours and submits actions as files settle. Either way an intent is committed just before a
worker starts an action, so a process killed at any instant leaves a state that `recovery` can
settle. When `stop` is set, no new action starts; actions in flight get `grace` seconds to
finish, then are cancelled (their intents settle on the next pass).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mediasync.models import Action, Outcome, OutcomeKind, parent_of, remote_name
from mediasync.state import StateStore
from mediasync.worker import UPLOADS, WorkerContext, perform

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


class GraceOver(Exception):
    """Remote work awaited outside the pool outlived the grace period after a stop."""


@dataclass(frozen=True, slots=True)
class PoolControl:
    concurrency: int
    stop: asyncio.Event
    grace: float
    sleep: Sleep
    clock: Callable[[], float]


class Pool:
    """Long-lived workers over one queue. Use as `async with Pool(...) as pool:`.

    A fatal error (a refused token, say) in one worker makes every worker skip what is left;
    leaving the `async with` block raises it. `on_fatal` hears of it at once.
    """

    def __init__(
        self,
        ctx: WorkerContext,
        store: StateStore,
        control: PoolControl,
        on_outcome: Callable[[Outcome], None],
        on_fatal: Callable[[BaseException], None] = lambda _: None,
        workers: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.outcomes: list[Outcome] = []
        self._store = store
        self._control = control
        self._on_outcome = on_outcome
        self._on_fatal = on_fatal
        self._count = workers or control.concurrency
        self._todo: asyncio.Queue[Action | None] = asyncio.Queue(maxsize=control.concurrency * 2)
        self._done: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._fatal: BaseException | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._consumer: asyncio.Task[None] | None = None
        self._cutoff: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        return self._todo.qsize()

    @property
    def failed_fatally(self) -> bool:
        return self._fatal is not None

    async def __aenter__(self) -> Pool:
        self._consumer = asyncio.create_task(self._consume())
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._count)]
        self._cutoff = asyncio.create_task(self._cut_off())
        return self

    async def submit(self, action: Action) -> None:
        """Queue one action; waits while the queue is full (backpressure on the producer)."""
        await self._todo.put(action)

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._consumer is not None and self._cutoff is not None
        try:
            if exc_info[0] is None:
                closer = asyncio.create_task(self._close_queue())
                # Workers end on their end marker, or when the cut-off cancels them.
                await asyncio.wait(self._tasks)
                closer.cancel()
        finally:
            for task in (*self._tasks, self._cutoff):
                task.cancel()
            await asyncio.gather(*self._tasks, self._cutoff, return_exceptions=True)
            self._done.put_nowait(None)
            await self._consumer
        if self._fatal is not None and exc_info[0] is None:
            raise self._fatal

    async def _close_queue(self) -> None:
        for _ in self._tasks:
            await self._todo.put(None)

    def _halted(self) -> bool:
        return self._control.stop.is_set() or self._fatal is not None

    async def _work(self) -> None:
        while (action := await self._todo.get()) is not None:
            if self._halted():
                continue
            _begin_intent(self._store, action, self.ctx, self._control.clock())
            try:
                outcome = await perform(action, self.ctx)
            except Exception as exc:  # only fatal errors leave perform()
                if self._fatal is None:
                    self._fatal = exc
                    self._on_fatal(exc)
                continue
            self._done.put_nowait(outcome)

    async def _consume(self) -> None:
        while (outcome := await self._done.get()) is not None:
            # A failed upload may still have been stored, its answer lost: its intent stays so
            # that the next pass lists the folder and adopts the copy instead of sending another.
            settled = not (outcome.kind is OutcomeKind.FAILED and outcome.action.kind in UPLOADS)
            self._store.record(outcome, end_intents=settled)
            self.outcomes.append(outcome)
            self._on_outcome(outcome)

    async def _cut_off(self) -> None:
        await self._control.stop.wait()
        with contextlib.suppress(asyncio.CancelledError):
            await self._control.sleep(self._control.grace)
            for worker in self._tasks:
                worker.cancel()
            # No worker takes from the queue any more: free a producer waiting on a full one.
            while not self._todo.empty():
                self._todo.get_nowait()


async def within_grace(control: PoolControl, work: Awaitable[T]) -> T:
    """Await `work` (folder making, say); once `stop` is set it gets the grace period, like the
    transfers in flight, and is then cancelled with GraceOver, so a stop never waits longer
    than the grace. Cancelling is safe: folders are looked for before they are made.
    """
    task = asyncio.ensure_future(work)

    async def grace_over() -> None:
        await control.stop.wait()
        await control.sleep(control.grace)

    timer = asyncio.ensure_future(grace_over())
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        timer.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise GraceOver(f"stopped after the {control.grace:g} s grace period")
    return task.result()


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
    workers = min(control.concurrency, len(actions))
    async with Pool(ctx, store, control, on_outcome, workers=workers) as pool:
        for action in actions:
            if control.stop.is_set() or pool.failed_fatally:
                break
            await pool.submit(action)
    return pool.outcomes


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
