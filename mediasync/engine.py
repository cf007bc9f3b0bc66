"""One sync pass: recover, scan, plan, make folders, upload through a worker pool, then delete.

Actions go through a bounded queue to N workers; their outcomes go to one consumer, the only
writer of file rows. An intent is committed before each action is handed to a worker, so a run
killed at any instant leaves a state that `recovery` can settle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mediasync.errors import MediasyncError, RootError
from mediasync.folders import ensure_folders
from mediasync.models import (
    Action,
    ActionKind,
    LocalSnapshot,
    Outcome,
    OutcomeKind,
    Plan,
    name_of,
)
from mediasync.plan import Policy, plan
from mediasync.recovery import resolve_intents
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy
from mediasync.scan import scan_tree
from mediasync.state import StateStore
from mediasync.worker import WorkerContext, perform


@dataclass(frozen=True, slots=True)
class SyncOptions:
    root: Path
    root_folder: str
    ignore: tuple[str, ...]
    state_dir: Path
    concurrency: int
    policy: Policy
    retry: RetryPolicy
    clock: Callable[[], float]


@dataclass
class SyncReport:
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    adopted: int = 0
    deletes_skipped: str | None = None

    def count(self, kind: OutcomeKind, *actions: ActionKind) -> int:
        return sum(
            1 for o in self.outcomes if o.kind is kind and (not actions or o.action.kind in actions)
        )

    @property
    def failed(self) -> int:
        return self.count(OutcomeKind.FAILED)


def make_plan(options: SyncOptions, store: StateStore) -> Plan:
    """Scan and plan without touching the remote (what --dry-run shows)."""
    return plan(_scan(options), store.snapshot(), options.policy)


def _scan(options: SyncOptions) -> LocalSnapshot:
    return scan_tree(options.root, options.ignore, exclude=options.state_dir)


async def run_sync(
    options: SyncOptions,
    remote: RemoteLibrary,
    store: StateStore,
    on_outcome: Callable[[Outcome], None] = lambda _: None,
) -> SyncReport:
    adopted = await resolve_intents(remote, store, options.retry, options.clock)
    local = await asyncio.to_thread(_scan, options)
    the_plan = plan(local, store.snapshot(), options.policy)
    if the_plan.fatal:
        raise RootError(the_plan.fatal)
    report = SyncReport(the_plan, adopted=adopted)
    store.clear_problems()
    for rejection in the_plan.rejections:
        store.record_problem(rejection.path, OutcomeKind.REJECTED.value, rejection.reason)

    folder_ids = await ensure_folders(
        remote, store, options.root_folder, the_plan.folders, options.retry
    )
    ctx = WorkerContext(
        root=options.root,
        remote=remote,
        retry=options.retry,
        folder_ids=folder_ids,
        max_file_bytes=options.policy.max_file_bytes,
        max_video_bytes=options.policy.max_video_bytes,
        clock=options.clock,
        known_ids=_known_ids(store),
    )
    outcomes = await _run_actions(the_plan.uploads, ctx, store, options, on_outcome)
    report.outcomes.extend(outcomes)

    deletes = the_plan.deletes
    if report.failed:
        report.deletes_skipped = f"{len(deletes)} deletes skipped because uploads failed"
        deletes = ()
    elif the_plan.delete_blocked:
        report.deletes_skipped = the_plan.delete_blocked
        deletes = tuple(a for a in deletes if a.kind is ActionKind.DELETE_STALE)
    report.outcomes.extend(await _run_actions(deletes, ctx, store, options, on_outcome))
    return report


async def _run_actions(
    actions: Sequence[Action],
    ctx: WorkerContext,
    store: StateStore,
    options: SyncOptions,
    on_outcome: Callable[[Outcome], None],
) -> list[Outcome]:
    if not actions:
        return []
    todo: asyncio.Queue[Action | None] = asyncio.Queue(maxsize=options.concurrency * 2)
    done: asyncio.Queue[Outcome] = asyncio.Queue()
    workers = min(options.concurrency, len(actions))
    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(_work(todo, done, ctx))
            consumer = group.create_task(_consume(done, len(actions), store, on_outcome))
            for action in actions:
                _begin_intent(store, action, ctx, options.clock())
                await todo.put(action)
            for _ in range(workers):
                await todo.put(None)
    except BaseExceptionGroup as group_error:
        raise _first_mediasync_error(group_error) from None
    return consumer.result()


async def _work(
    todo: asyncio.Queue[Action | None], done: asyncio.Queue[Outcome], ctx: WorkerContext
) -> None:
    while (action := await todo.get()) is not None:
        done.put_nowait(await perform(action, ctx))


async def _consume(
    done: asyncio.Queue[Outcome],
    expected: int,
    store: StateStore,
    on_outcome: Callable[[Outcome], None],
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    while len(outcomes) < expected:
        outcome = await done.get()
        store.record(outcome)
        store.end_intents(outcome.path)
        outcomes.append(outcome)
        on_outcome(outcome)
    return outcomes


def _begin_intent(store: StateStore, action: Action, ctx: WorkerContext, now: float) -> None:
    if action.kind in (ActionKind.UPLOAD, ActionKind.REPLACE):
        assert action.local is not None
        folder = action.path.rpartition("/")[0]
        store.begin_intent(
            "upload",
            action.path,
            name_of(action.path),
            ctx.folder_ids[folder],
            now,
            size=action.local.size,
            mtime_ns=action.local.mtime_ns,
        )
    else:
        remote_id = action.stale_id or (action.previous.remote_id if action.previous else None)
        store.begin_intent(
            "delete", action.path, name_of(action.path), None, now, remote_id=remote_id
        )


def _known_ids(store: StateStore) -> frozenset[str]:
    """Remote ids some recorded file owns: never adopted as a fresh copy of another upload."""
    state = store.snapshot()
    return frozenset(e.remote_id for e in state.entries.values()) | {
        s.remote_id for s in state.stale
    }


def _first_mediasync_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that stopped the pool: a mediasync error if there is one, else the first."""
    for error in _leaves(group):
        if isinstance(error, MediasyncError):
            return error
    return next(iter(_leaves(group)))


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]
