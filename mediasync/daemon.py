"""`mediasync watch`: one full sync, then follow the folder's changes for as long as it runs.

Watcher events are hints. A changed path is looked at again (a stat), waits in the settler
until it holds still, and is then planned against the state like any sync and fed to the same
workers through one long-lived pool. A path is never in flight twice: if it changes during its
upload it is judged again once that upload ends. Deletes wait for every upload that started
changing no later than they did, and for failed uploads to be redone, so a moved or re-saved
file always has a hosted copy. A periodic full rescan catches whatever the watcher missed.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from mediasync.engine import SyncOptions, SyncReport, known_ids, run_sync
from mediasync.errors import MediasyncError, is_fatal
from mediasync.folders import ensure_folders
from mediasync.logs import EventLog
from mediasync.models import (
    Action,
    ActionKind,
    LocalFile,
    Outcome,
    OutcomeKind,
    Rejection,
    SyncState,
)
from mediasync.plan import plan, plan_paths
from mediasync.pool import GraceOver, Pool, PoolControl, within_grace
from mediasync.recovery import resolve_intents
from mediasync.remote import RemoteLibrary
from mediasync.rules import is_ignored
from mediasync.scan import Folder, printable, probe, scan_tree
from mediasync.settle import Look, Settler, Verdict
from mediasync.state import StateStore
from mediasync.watch import RAISE_LIMIT_HINT, is_watch_limit
from mediasync.worker import RETRY_NEXT, UPLOADS, WorkerContext

# Makes the batches of changed paths; its argument asks for polling instead of OS events.
ChangeSource = Callable[[bool], AsyncIterator[set[str]]]


@dataclass(frozen=True, slots=True)
class Changed:
    paths: frozenset[str]


@dataclass(frozen=True, slots=True)
class Finished:
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class SourceDown:
    error: Exception
    now_polling: bool = False


@dataclass(frozen=True, slots=True)
class Fatal:
    error: BaseException


@dataclass(frozen=True, slots=True)
class Wake:
    """Only wakes the loop (a stop was asked for)."""


Event = Changed | Finished | SourceDown | Fatal | Wake

# Waits for the next event, or `within` seconds (None: no limit); `busy`: work is in flight.
Wait = Callable[["asyncio.Queue[Event]", float | None, bool], Awaitable[Event | None]]


async def wait_for_event(
    events: asyncio.Queue[Event], within: float | None, busy: bool
) -> Event | None:
    try:
        return await asyncio.wait_for(events.get(), within)
    except TimeoutError:
        return None


@dataclass(frozen=True, slots=True)
class WatchOptions:
    settle: float = 2.0
    max_deferral: float = 60.0
    rescan_interval: float = 600.0
    health_interval: float = 300.0
    poll: bool = False
    restart_delay: float = 5.0


@dataclass
class WatchStats:
    """What the daemon did since it started, by remote operation: `uploaded` counts every copy
    sent, `deleted` every remote copy removed, the old copies of replaced, moved and re-sent
    renamed files included (they go within the upload's outcome, not as deletes of their own).
    """

    uploaded: int = 0
    renamed: int = 0
    deleted: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed: int = 0
    rescans: int = 0
    last_rescan: float | None = None

    def add(self, outcome: Outcome) -> None:
        kind = outcome.kind
        if kind is OutcomeKind.UPLOADED:
            self.uploaded += 1
            if _old_copy_deleted(outcome):
                self.deleted += 1
        elif kind is OutcomeKind.RENAMED:
            self.renamed += 1
        elif kind is OutcomeKind.DELETED:
            self.deleted += 1
        elif kind is OutcomeKind.UNCHANGED:
            self.unchanged += 1
        elif kind is OutcomeKind.REJECTED:
            self.rejected += 1
        else:
            self.failed += 1


def _old_copy_deleted(outcome: Outcome) -> bool:
    """An upload that stands in for a recorded copy, and removed it (a failed removal leaves
    a stale copy, counted when it is deleted later)."""
    action = outcome.action
    return (
        action.previous is not None
        and action.kind is not ActionKind.RESTORE
        and outcome.stale_id is None
    )


@dataclass(frozen=True, slots=True)
class _Flight:
    action: Action
    epoch: int


class Daemon:
    def __init__(
        self,
        options: SyncOptions,
        watch: WatchOptions,
        remote: RemoteLibrary,
        store: StateStore,
        source: ChangeSource,
        log: EventLog,
        stop: asyncio.Event,
        monotonic: Callable[[], float] = time.monotonic,
        wait: Wait = wait_for_event,
    ) -> None:
        self.options = options
        self.watch = watch
        self.stats = WatchStats()
        self.initial: SyncReport | None = None
        self._remote = remote
        self._store = store
        self._source = source
        self._log = log
        self._stop = stop
        self._now = monotonic
        self._wait = wait
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._settler = Settler(watch.settle, watch.max_deferral)
        self._in_flight: dict[str, _Flight] = {}
        self._deletes: dict[str, _Flight] = {}
        self._unsettled: set[str] = set()  # failed uploads, their intents still open
        self._folders: dict[str, str | None] = {}
        self._known: set[str] = set()
        self._epoch = 0
        self._poll = watch.poll
        self._pool: Pool | None = None
        self._control = self._make_control()
        self._next_rescan = math.inf
        self._next_health = math.inf
        self._root_complaint: str | None = None
        # Rejections already logged (path, reason): a rescan logs only those it finds anew.
        self._told: set[tuple[str, str]] = set()
        # Files a worker refused for what they are (type, content), as they then stood: a
        # rescan sends them again only once they change.
        self._refused: dict[str, LocalFile] = {}

    async def run(self) -> WatchStats:
        """Sync once, then follow changes until `stop` is set; raise only fatal errors."""
        self._control = self._make_control()  # from the options as they stand now
        helpers = [asyncio.create_task(self._pump()), asyncio.create_task(self._relay_stop())]
        try:
            await self._initial_sync()
            if self._stop.is_set():
                return self.stats
            ctx = WorkerContext(
                root=self.options.root,
                remote=self._remote,
                retry=self.options.retry,
                folder_ids=self._folders,
                types=self.options.policy.types,
                clock=self.options.clock,
                known_ids=self._known,
                disk=self.options.disk,
                verify=self.options.verify,
            )
            async with Pool(ctx, self._store, self._control, self._finished, self._fatal) as pool:
                self._pool = pool
                await self._follow()
            self._land_the_last()
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
        return self.stats

    def _land_the_last(self) -> None:
        """Log and count what finished while the pool drained after the loop had stopped."""
        while not self._events.empty():
            event = self._events.get_nowait()
            if isinstance(event, Finished):
                self._land(event.outcome)

    def _make_control(self) -> PoolControl:
        o = self.options
        return PoolControl(o.concurrency, self._stop, o.grace, o.sleep, o.clock)

    @property
    def waiting(self) -> int:
        """Paths changed but not yet sent: settling, or deletes held back."""
        return len(self._settler) + len(self._deletes)

    async def _initial_sync(self) -> None:
        self._log.info("start", f"watching {self.options.root}: a full sync first")
        report = await run_sync(
            self.options, self._remote, self._store, self._log.outcome, self._stop
        )
        self.initial = report
        for outcome in report.outcomes:
            self.stats.add(outcome)
            self._note_refusal(outcome)
            if outcome.kind is OutcomeKind.FAILED and outcome.action.kind in UPLOADS:
                self._unsettled.add(outcome.path)
        # What the scan refused (pipes, links, bad names) never reached a worker: said here,
        # as `sync` lists them, so a file refused while the daemon was down is not silent.
        self._tell(report.plan.rejections)
        if report.deletes_skipped:
            self._log.warning("deletes-skipped", report.deletes_skipped)
        self._log.info(
            "synced",
            f"initial sync: {self.stats.uploaded} uploaded, {self.stats.deleted} deleted, "
            f"{report.plan.unchanged} unchanged, {self.stats.failed} failed",
            uploaded=self.stats.uploaded,
            deleted=self.stats.deleted,
            unchanged=report.plan.unchanged,
            failed=self.stats.failed,
        )
        self._known.update(known_ids(self._store))
        self._folders.update(
            await ensure_folders(
                self._remote, self._store, self.options.root_folder, (), self.options.retry
            )
        )
        now = self._now()
        self._next_rescan = now + self.watch.rescan_interval
        self._next_health = now + self.watch.health_interval
        self.stats.last_rescan = self.options.clock()

    async def _follow(self) -> None:
        while not self._stop.is_set():
            event = await self._wait(self._events, self._timeout(), bool(self._in_flight))
            try:
                if event is not None:
                    await self._handle(event)
                while not self._events.empty():
                    await self._handle(self._events.get_nowait())
                if self._stop.is_set():
                    break
                await self._tick()
            except GraceOver:
                break
        self._log.info(
            "stopping",
            f"stopping: {len(self._in_flight)} transfers in flight get up to "
            f"{self.options.grace:g} s; {self.waiting} changes wait for the next start",
        )

    def _timeout(self) -> float | None:
        due = min(self._settler.next_due() or math.inf, self._next_rescan, self._next_health)
        if math.isinf(due):
            return None
        return max(0.0, due - self._now())

    async def _handle(self, event: Event) -> None:
        if isinstance(event, Changed):
            await self._note(event.paths)
        elif isinstance(event, Finished):
            self._land(event.outcome)
        elif isinstance(event, SourceDown):
            self._source_down(event)
        elif isinstance(event, Fatal):
            raise event.error

    # -- what changed --------------------------------------------------------------------

    async def _note(self, paths: Iterable[str]) -> None:
        """Look at changed paths now; a folder stands for what is, or was, inside it."""
        self._epoch += 1
        paths = sorted(paths)
        recorded = {p: self._store.paths_under(p) for p in paths}
        looks = await asyncio.to_thread(self._look_around, paths, recorded)
        now = self._now()
        for path, look in looks.items():
            self._settler.note(path, look, now, self._epoch)
            self._deletes.pop(path, None)

    def _probe(self, path: str) -> Look | Folder:
        return probe(self.options.root, path, self.options.follow_symlinks)

    def _look_around(self, paths: list[str], recorded: Mapping[str, list[str]]) -> dict[str, Look]:
        looks: dict[str, Look] = {}
        for path in paths:
            if is_ignored(path, self.options.ignore):
                continue
            for inside in recorded[path]:
                looks[inside] = _as_look(self._probe(inside))
            look = self._probe(path)
            if isinstance(look, Folder):
                snapshot = scan_tree(
                    self.options.root,
                    self.options.ignore,
                    self.options.state_dir,
                    under=path,
                    follow_symlinks=self.options.follow_symlinks,
                )
                looks.update(snapshot.files)
                looks.update({r.path: r for r in snapshot.rejected})
            else:
                looks[path] = look
        return looks

    def _land(self, outcome: Outcome) -> None:
        self._in_flight.pop(outcome.path, None)
        self.stats.add(outcome)
        self._log.outcome(outcome)
        self._note_refusal(outcome)
        if outcome.kind is OutcomeKind.FAILED and outcome.action.kind in UPLOADS:
            self._unsettled.add(outcome.path)
        elif outcome.action.kind in UPLOADS:
            self._unsettled.discard(outcome.path)
        if outcome.entry is not None:
            self._known.add(outcome.entry.remote_id)
        self._settler.recheck_now(outcome.path, self._now())

    def _note_refusal(self, outcome: Outcome) -> None:
        local = outcome.action.local
        if outcome.action.kind not in UPLOADS or local is None:
            return
        # A refusal that says "the next sync tries it again" (vanished, unreadable) may pass
        # without the file changing: only the others are remembered.
        if outcome.kind is OutcomeKind.REJECTED and not outcome.reason.endswith(RETRY_NEXT):
            self._refused[outcome.path] = local
        else:
            self._refused.pop(outcome.path, None)

    def _source_down(self, event: SourceDown) -> None:
        error = event.error
        if event.now_polling:
            self._log.warning(
                "watch-limit",
                f"the OS limit on watched folders is reached: {RAISE_LIMIT_HINT}; "
                "meanwhile polling the folder instead",
            )
        else:
            self._log.error(
                "watcher-failed",
                f"the watcher stopped ({printable(str(error)) or type(error).__name__}); "
                f"restarting it in {self.watch.restart_delay:g} s, then rescanning",
            )
        self._next_rescan = self._now()

    # -- what to do ----------------------------------------------------------------------

    async def _tick(self) -> None:
        now = self._now()
        due = self._settler.due(now)
        if due:
            await self._judge(due, now)
        await self._release_deletes()
        if now >= self._next_rescan:
            await self._rescan()
        if now >= self._next_health:
            self._health()

    async def _judge(self, due: list[str], now: float) -> None:
        looks = await asyncio.to_thread(lambda: {p: self._probe(p) for p in due})
        ready: dict[str, tuple[Look, int]] = {}
        folders: list[str] = []
        for path in due:
            look = looks[path]
            if path in self._in_flight:
                self._settler.hold(path)
                continue
            epoch = self._settler.epoch_of(path) or self._epoch
            if isinstance(look, Folder):
                self._settler.forget(path)
                folders.append(path)
                continue
            verdict = self._settler.check(path, look, now)
            if verdict is Verdict.WAIT:
                continue
            if verdict is Verdict.FORCED:
                self._log.warning(
                    "still-changing",
                    f"{printable(path)} has not stopped changing in "
                    f"{self.watch.max_deferral:g} s: sending it as it stands",
                    path=printable(path),
                )
            ready[path] = (look, epoch)
        if folders:
            await self._note(folders)
        if ready:
            await self._dispatch(ready)

    async def _dispatch(self, ready: Mapping[str, tuple[Look, int]]) -> None:
        await self._settle_failed(set(ready))
        entries = self._store.entries_for(ready)
        looks = {path: look for path, (look, _) in ready.items()}
        the_plan = plan_paths(
            looks, SyncState.of(list(entries.values())), self.options.policy, self._store.count()
        )
        for old, new in the_plan.rekeys:
            self._store.rekey(old, new)
        for rejection in the_plan.rejections:
            self._store.record_problem(rejection.path, OutcomeKind.REJECTED.value, rejection.reason)
            self._told.discard((rejection.path, rejection.reason))  # it changed: say it again
        self._tell(the_plan.rejections)
        if the_plan.delete_blocked:
            self._log.error("delete-guard", the_plan.delete_blocked)
        else:
            for action in the_plan.deletes:
                self._deletes[action.path] = _Flight(action, ready[action.path][1])
        if not the_plan.uploads:
            return
        try:
            self._folders.update(
                await within_grace(
                    self._control,
                    ensure_folders(
                        self._remote,
                        self._store,
                        self.options.root_folder,
                        the_plan.folders,
                        self.options.retry,
                        self._stop,
                    ),
                )
            )
        except MediasyncError as exc:
            if is_fatal(exc):
                raise
            self._log.error(
                "failed",
                f"cannot make the remote folders for {len(the_plan.uploads)} files ({exc}); "
                "the next rescan tries again",
            )
            self.stats.failed += len(the_plan.uploads)
            return
        for action in the_plan.uploads:
            await self._submit(action, ready[action.path][1])

    async def _submit(self, action: Action, epoch: int) -> None:
        if self._stop.is_set() or self._pool is None:
            return
        self._in_flight[action.path] = _Flight(action, epoch)
        await self._pool.submit(action)

    async def _release_deletes(self) -> None:
        """Send the deletes whose uploads have landed (see the module docstring)."""
        if not self._deletes:
            return
        if self._unsettled:
            return  # a failed upload may be the new home of a deleted file: keep the old one
        complaint = self._root_problem()
        if complaint is not None:
            if complaint != self._root_complaint:
                self._log.error("root-missing", complaint)
            self._root_complaint = complaint
            return
        self._root_complaint = None
        waiting = self._settler.waiting_files()
        oldest_upload = min(
            [*waiting.values()]
            + [f.epoch for f in self._in_flight.values() if f.action.kind in UPLOADS],
            default=math.inf,
        )
        for path, flight in sorted(self._deletes.items()):
            if flight.epoch < oldest_upload and path not in self._in_flight:
                del self._deletes[path]
                await self._submit(flight.action, flight.epoch)

    def _root_problem(self) -> str | None:
        root = self.options.root
        try:
            with os.scandir(root) as entries:
                if any(os.path.realpath(e.path) != str(self.options.state_dir) for e in entries):
                    return None
        except OSError:
            return (
                f"the local folder {root} is gone: nothing is deleted until it is back "
                "(mount or restore it)"
            )
        return (
            f"the local folder {root} is empty: nothing is deleted (if the files really are "
            "gone, run `mediasync sync --force`)"
        )

    async def _settle_failed(self, paths: set[str]) -> None:
        """Before a failed upload's path is sent again, adopt any copy that upload left."""
        retry = self._unsettled & paths
        if not retry:
            return
        skip = {i.path for i in self._store.pending_intents()} - retry
        try:
            await within_grace(
                self._control,
                resolve_intents(
                    self._remote,
                    self._store,
                    self.options.root,
                    self.options.retry,
                    self.options.clock,
                    skip,
                    self.options.attempt_timeout,
                ),
            )
        except MediasyncError as exc:
            if is_fatal(exc):
                raise
            return  # their intents stay; the next try settles them
        self._unsettled -= retry

    async def _rescan(self) -> None:
        self._next_rescan = self._now() + self.watch.rescan_interval
        try:
            await within_grace(
                self._control,
                resolve_intents(
                    self._remote,
                    self._store,
                    self.options.root,
                    self.options.retry,
                    self.options.clock,
                    skip=set(self._in_flight),
                    attempt_timeout=self.options.attempt_timeout,
                ),
            )
        except MediasyncError as exc:
            if is_fatal(exc):
                raise
            self._log.error("rescan-failed", f"could not settle unfinished uploads: {exc}")
        self._unsettled &= {i.path for i in self._store.pending_intents()}
        local = await asyncio.to_thread(
            scan_tree,
            self.options.root,
            self.options.ignore,
            self.options.state_dir,
            follow_symlinks=self.options.follow_symlinks,
        )
        the_plan = plan(local, self._store.snapshot(), self.options.policy)
        self.stats.rescans += 1
        self.stats.last_rescan = self.options.clock()
        if the_plan.fatal:
            self._log.error("root-missing", f"rescan: {the_plan.fatal}; nothing is deleted")
            return
        for old, new in the_plan.rekeys:
            self._store.rekey(old, new)
        self._refused = {p: f for p, f in self._refused.items() if p in local.files}
        fresh = [r for r in the_plan.rejections if (r.path, r.reason) not in self._told]
        for rejection in fresh:
            self._store.record_problem(rejection.path, OutcomeKind.REJECTED.value, rejection.reason)
        self._tell(fresh)
        # Forget what is no longer refused, so that it is told again if it comes back.
        self._told = {(r.path, r.reason) for r in the_plan.rejections}
        self._epoch += 1
        now = self._now()
        found = 0
        for action in (*the_plan.uploads, *the_plan.deletes):
            if action.path in self._in_flight or action.path in self._settler:
                continue
            if action.local is not None and self._refused.get(action.path) == action.local:
                continue  # refused as it stands: logged once, not judged again every rescan
            found += 1
            if action.kind is ActionKind.DELETE_STALE:
                await self._submit(action, self._epoch)
                continue
            self._settler.note(action.path, action.local, now, self._epoch)
            old = action.previous.path if action.previous else action.path
            if old != action.path and old not in self._in_flight:
                # A rename or move: both ends are judged together, so they pair up again.
                self._settler.note(old, None, now, self._epoch)
        self._log.info(
            "rescan",
            f"rescan: {len(local.files)} files, {found} changes the watcher had not reported",
            files=len(local.files),
            found=found,
        )

    def _tell(self, rejections: Iterable[Rejection]) -> None:
        """Log each rejection not logged yet, one line each."""
        for rejection in rejections:
            key = (rejection.path, rejection.reason)
            if key in self._told:
                continue
            self._told.add(key)
            self._log.warning(
                "rejected",
                f"rejected {printable(rejection.path)}: {rejection.reason}",
                path=printable(rejection.path),
                reason=rejection.reason,
            )

    def _health(self) -> None:
        self._next_health = self._now() + self.watch.health_interval
        s = self.stats
        pool_queue = self._pool.queued if self._pool else 0
        last = (
            time.strftime("%H:%M:%S", time.localtime(s.last_rescan)) if s.last_rescan else "never"
        )
        held = f", {len(self._deletes)} deletes held" if self._deletes else ""
        self._log.info(
            "health",
            f"health: {len(self._settler)} settling, {len(self._in_flight)} in flight "
            f"({pool_queue} queued){held}; uploaded {s.uploaded}, deleted {s.deleted}, "
            f"failed {s.failed}; last rescan {last}",
            settling=len(self._settler),
            in_flight=len(self._in_flight),
            queued=pool_queue,
            deletes_held=len(self._deletes),
            uploaded=s.uploaded,
            deleted=s.deleted,
            failed=s.failed,
            rejected=s.rejected,
            last_rescan=s.last_rescan,
        )

    # -- helpers that run beside the loop ------------------------------------------------

    async def _pump(self) -> None:
        """Feed the watcher's batches into the loop; restart it when it fails."""
        while not self._stop.is_set():
            try:
                async for paths in self._source(self._poll):
                    self._events.put_nowait(Changed(frozenset(paths)))
                if self._stop.is_set():
                    return
                raise RuntimeError("the watcher ended by itself")
            except Exception as exc:
                if is_watch_limit(exc) and not self._poll:
                    self._poll = True
                    self._events.put_nowait(SourceDown(exc, now_polling=True))
                    continue
                self._events.put_nowait(SourceDown(exc))
                await self.options.sleep(self.watch.restart_delay)

    async def _relay_stop(self) -> None:
        await self._stop.wait()
        self._events.put_nowait(Wake())

    def _finished(self, outcome: Outcome) -> None:
        self._events.put_nowait(Finished(outcome))

    def _fatal(self, error: BaseException) -> None:
        self._events.put_nowait(Fatal(error))


def _as_look(look: LocalFile | Rejection | Folder | None) -> Look:
    """A recorded path that is now a folder counts as gone; its contents are noted apart."""
    return None if isinstance(look, Folder) else look
