"""Stopping a run: the first signal drains within the grace period, the second exits at once."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import pytest

from mediasync.engine import run_sync
from mediasync.interrupt import Interrupts
from mediasync.models import OutcomeKind, RemoteItem, UploadResult
from mediasync.remote.memory import MemoryLibrary
from mediasync.report import summary_line
from mediasync.state import StateStore
from tests.helpers import example_files
from tests.test_engine import Sleeps, options


class Exited(Exception):
    pass


def exit_now(code: int) -> NoReturn:
    raise Exited(code)


def test_first_signal_asks_to_stop_second_exits_at_once() -> None:
    said: list[str] = []
    stops: list[bool] = []
    interrupts = Interrupts(
        asyncio.Event(),
        said.append,
        grace=30,
        exit_now=exit_now,
        on_stop=lambda: stops.append(True),
    )
    interrupts.handle(signal.SIGTERM)
    assert interrupts.stop.is_set() and stops == [True]
    assert interrupts.exit_code == 143
    assert "SIGTERM" in said[0] and "30 s" in said[0]
    with pytest.raises(Exited, match="130"):
        interrupts.handle(signal.SIGINT)
    assert stops == [True]


async def test_handlers_are_installed_on_the_loop_and_removed() -> None:
    interrupts = Interrupts(asyncio.Event(), lambda _: None, grace=1, exit_now=exit_now)
    loop = asyncio.get_running_loop()
    with interrupts.installed(loop):
        assert loop.remove_signal_handler(signal.SIGINT)
        loop.add_signal_handler(signal.SIGINT, interrupts.handle, signal.SIGINT)
    assert not loop.remove_signal_handler(signal.SIGTERM)


class StopsAfter(MemoryLibrary):
    """Sets the stop event once `count` uploads went through, as a signal would mid-run."""

    def __init__(self, stop: asyncio.Event, count: int) -> None:
        super().__init__()
        self.stop = stop
        self.count = count

    async def upload(
        self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
    ) -> UploadResult:
        result = await super().upload(path, size, name, parent_id, content_type)
        self.count -= 1
        if self.count == 0:
            self.stop.set()
        return result


async def test_stop_lets_no_new_transfer_start_and_records_the_rest(media: Path) -> None:
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    stop = asyncio.Event()
    remote = StopsAfter(stop, count=2)
    report = await run_sync(options(media, Sleeps()), remote, store, stop=stop)
    assert report.interrupted
    uploaded = report.count(OutcomeKind.UPLOADED)
    # Up to `concurrency` transfers were already in flight when the signal came.
    assert 2 <= uploaded <= 2 + 2
    assert len(store.snapshot().entries) == uploaded == len(remote.files())
    assert store.pending_intents() == []
    left = len(example_files()) - uploaded
    assert report.not_done == left > 0
    assert summary_line(report).endswith(f", 0 failed, {left} not done (interrupted)")

    again = await run_sync(options(media, Sleeps()), remote, store)
    assert not again.interrupted
    assert len(remote.files()) == len(example_files())
    assert len({s.item.name for s in remote.files()}) == len(example_files())


class Hangs(MemoryLibrary):
    """The first upload never answers; the second sets stop."""

    def __init__(self, stop: asyncio.Event) -> None:
        super().__init__()
        self.stop = stop
        self.started = 0

    async def upload(
        self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
    ) -> UploadResult:
        self.started += 1
        if self.started == 1:
            await asyncio.Event().wait()
        self.stop.set()
        return await super().upload(path, size, name, parent_id, content_type)


async def test_transfers_past_the_grace_period_are_cut_and_settled_next_run(
    media: Path,
) -> None:
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    stop = asyncio.Event()
    grace = Sleeps()
    hangs = Hangs(stop)
    opts = replace(options(media, Sleeps()), sleep=grace)
    report = await run_sync(opts, hangs, store, stop=stop)
    assert report.interrupted
    assert grace.waits == [opts.grace]
    cut = {intent.path for intent in store.pending_intents()}
    assert cut and not cut & set(store.snapshot().entries)
    # Cut off past the grace period counts as not done, like never started.
    assert report.not_done == len(example_files()) - len(report.outcomes) >= len(cut)

    # The next run settles the cut transfers against what the remote holds: no duplicates.
    again = await run_sync(options(media, Sleeps()), hangs, store)
    assert store.pending_intents() == []
    assert again.failed == 0
    assert sorted(store.snapshot().entries) == example_files()
    names = [s.item.name for s in hangs.files()]
    assert len(names) == len(set(names)) == len(example_files())


class StopsOnFirstFolder(MemoryLibrary):
    def __init__(self, stop: asyncio.Event) -> None:
        super().__init__()
        self.stop = stop

    async def create_folder(self, name: str, parent_id: str | None) -> RemoteItem:
        self.stop.set()
        return await super().create_folder(name, parent_id)


async def test_a_signal_during_folder_making_makes_no_more_folders(media: Path) -> None:
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    stop = asyncio.Event()
    remote = StopsOnFirstFolder(stop)
    report = await run_sync(options(media, Sleeps()), remote, store, stop=stop)
    assert report.interrupted and report.outcomes == []
    assert report.not_done == len(example_files())
    folders = [s.item.name for s in remote.items.values() if s.item.is_folder]
    assert folders == ["mediasync"]
