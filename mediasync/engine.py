"""One sync pass: recover, scan, plan, make folders, upload through the pool, then delete.

Phases run in this order so that a hosted copy always exists (uploads before deletes) and so
that deletes only follow a pass with no failed upload and no tripped delete guard.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mediasync.diskio import DiskAccess
from mediasync.drift import DriftReport, check_due, check_remote
from mediasync.errors import RootError
from mediasync.folders import ensure_folders
from mediasync.models import (
    Action,
    ActionKind,
    LocalSnapshot,
    Outcome,
    OutcomeKind,
    Plan,
    SyncState,
)
from mediasync.plan import Policy, plan
from mediasync.pool import PoolControl, Sleep, run_pool
from mediasync.recovery import resolve_intents
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy
from mediasync.scan import scan_tree
from mediasync.state import StateStore
from mediasync.strangers import check_for_strangers, is_fresh
from mediasync.timings import Timings
from mediasync.worker import Verify, WorkerContext


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
    grace: float = 30.0
    sleep: Sleep = asyncio.sleep
    remote_check_interval: float | None = None
    force_remote_check: bool = False
    timings: Timings = field(default_factory=Timings)
    disk: DiskAccess = field(default_factory=DiskAccess)
    follow_symlinks: bool = False
    verify: Verify | None = None
    # The HTTP timeout: how long one attempt may take, which bounds when its copy can appear.
    attempt_timeout: float = 300.0


@dataclass
class SyncReport:
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    adopted: int = 0
    # Copies a crashed run may have left that could not be proved its own (recovery.py).
    left_in_place: tuple[str, ...] = ()
    drift: DriftReport | None = None
    deletes_skipped: str | None = None
    interrupted: bool = False
    # Planned actions a stop left undone (never started, or cut off past the grace period).
    not_done: int = 0

    def count(self, kind: OutcomeKind, *actions: ActionKind) -> int:
        return sum(
            1 for o in self.outcomes if o.kind is kind and (not actions or o.action.kind in actions)
        )

    @property
    def failed(self) -> int:
        return self.count(OutcomeKind.FAILED)


def make_plan(options: SyncOptions, state: SyncState) -> Plan:
    """Scan and plan without touching the remote (what --dry-run shows)."""
    return plan(_scan(options), state, options.policy)


def _remote_check_due(options: SyncOptions, store: StateStore) -> bool:
    if options.force_remote_check:
        return True
    interval = options.remote_check_interval
    return interval is not None and check_due(store, interval, options.clock())


def _scan(options: SyncOptions) -> LocalSnapshot:
    return scan_tree(
        options.root,
        options.ignore,
        exclude=options.state_dir,
        follow_symlinks=options.follow_symlinks,
    )


async def run_sync(
    options: SyncOptions,
    remote: RemoteLibrary,
    store: StateStore,
    on_outcome: Callable[[Outcome], None] = lambda _: None,
    stop: asyncio.Event | None = None,
    on_plan: Callable[[Plan], None] = lambda _: None,
) -> SyncReport:
    """Run one pass. Setting `stop` ends it early, cleanly (see pool.py). `on_plan` hears what
    the pass is about to do (a progress display's totals) before anything is sent."""
    control = PoolControl(
        options.concurrency, stop or asyncio.Event(), options.grace, options.sleep, options.clock
    )
    timings = options.timings
    with timings.phase("intents"):
        recovery = await resolve_intents(
            remote,
            store,
            options.root,
            options.retry,
            options.clock,
            attempt_timeout=options.attempt_timeout,
        )
    drift = None
    if _remote_check_due(options, store):
        with timings.phase("remote-check"):
            drift = await check_remote(remote, store, options.retry, options.clock)
    with timings.phase("scan"):
        local = await asyncio.to_thread(_scan, options)
    with timings.phase("state"):
        state = store.snapshot()
    with timings.phase("plan"):
        the_plan = plan(local, state, options.policy)
    if the_plan.fatal:
        raise RootError(the_plan.fatal)
    report = SyncReport(
        the_plan, adopted=recovery.adopted, drift=drift, left_in_place=recovery.left
    )
    on_plan(the_plan)
    for old, new in the_plan.rekeys:
        store.rekey(old, new)
    store.clear_problems()
    for rejection in the_plan.rejections:
        store.record_problem(rejection.path, OutcomeKind.REJECTED.value, rejection.reason)

    if the_plan.uploads and not options.policy.force and is_fresh(state, store.folders()):
        with timings.phase("strangers"):
            await check_for_strangers(remote, options.root_folder, the_plan.uploads, options.retry)
    folder_ids: dict[str, str | None] = {}
    if the_plan.uploads:  # nothing to send: no folder to find or make
        with timings.phase("folders"):
            folder_ids = await ensure_folders(
                remote, store, options.root_folder, the_plan.folders, options.retry, control.stop
            )
    if control.stop.is_set():
        report.interrupted = True
        report.not_done = len(the_plan.uploads) + len(_deletes_due(the_plan, report))
        return report
    ctx = WorkerContext(
        root=options.root,
        remote=remote,
        retry=options.retry,
        folder_ids=folder_ids,
        types=options.policy.types,
        clock=options.clock,
        known_ids=_known_ids(state),
        disk=options.disk,
        verify=options.verify,
    )
    with timings.phase("uploads"):
        report.outcomes.extend(await run_pool(the_plan.uploads, ctx, store, control, on_outcome))

    deletes = _deletes_due(the_plan, report)
    with timings.phase("deletes"):
        report.outcomes.extend(await run_pool(deletes, ctx, store, control, on_outcome))
    report.interrupted = control.stop.is_set()
    if report.interrupted:
        report.not_done = len(the_plan.uploads) + len(deletes) - len(report.outcomes)
    return report


def _deletes_due(the_plan: Plan, report: SyncReport) -> tuple[Action, ...]:
    """The deletes this pass may make after its uploads; why the others are held back goes
    into the report."""
    deletes = the_plan.deletes
    if report.failed:
        # Said only when a delete was really held back: "0 deletes skipped" is noise.
        if deletes:
            report.deletes_skipped = f"{_deletes(len(deletes))} skipped because uploads failed"
        return ()
    if the_plan.delete_blocked:
        report.deletes_skipped = the_plan.delete_blocked
        return tuple(a for a in deletes if a.kind is ActionKind.DELETE_STALE)
    return deletes


def _deletes(count: int) -> str:
    return f"{count} delete{'' if count == 1 else 's'}"


def known_ids(store: StateStore) -> frozenset[str]:
    """Remote ids some recorded file owns: never adopted as a fresh copy of another upload."""
    return _known_ids(store.snapshot())


def _known_ids(state: SyncState) -> frozenset[str]:
    return frozenset(e.remote_id for e in state.entries.values()) | {
        s.remote_id for s in state.stale
    }
