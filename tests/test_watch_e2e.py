"""`watch` end to end: the real watchfiles watcher on a temporary folder, the real HTTP client
and the real sandbox on loopback, real SQLite.

These few tests run on real time by nature (the OS reports changes when it does). They never
sleep: each waits for a log event the daemon emits, with a bound, so a slow machine makes them
slower, never wrong; the settle window is short to keep them quick.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from mediasync.config import Secret
from mediasync.daemon import Daemon, WatchOptions
from mediasync.engine import SyncOptions
from mediasync.logs import EventLog
from mediasync.plan import Policy
from mediasync.remote.http import HttpLibrary
from mediasync.retrying import RetryPolicy
from mediasync.sandbox import LIBRARY, Library, SandboxConfig, create_app
from mediasync.state import StateStore
from mediasync.watch import watch_paths
from tests.helpers import png_bytes

BOUND_S = 30.0  # far above what any step takes; only a broken watcher reaches it


class Events(logging.Handler):
    """Keeps the daemon's log events and wakes whoever waits for one."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(
            {"event": getattr(record, "event", ""), "message": record.getMessage()}
            | getattr(record, "fields", {})
        )
        self.changed.set()

    async def until(self, test: Callable[[], bool]) -> None:
        async with asyncio.timeout(BOUND_S):
            while not test():
                self.changed.clear()
                await self.changed.wait()

    def count(self, event: str, path: str | None = None) -> int:
        return sum(
            1 for e in self.seen if e["event"] == event and (path is None or e.get("path") == path)
        )


class Running:
    def __init__(self, root: Path, client: HttpLibrary, library: Library) -> None:
        self.root = root
        self.library = library
        self.store = StateStore.open(root / ".mediasync" / "state.db", library.location_id)
        self.stop = asyncio.Event()
        self.events = Events()
        logger = logging.getLogger(f"test.watch.e2e.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(self.events)
        options = SyncOptions(
            root=root,
            root_folder="mediasync",
            ignore=(),
            state_dir=root / ".mediasync",
            concurrency=3,
            policy=Policy(),
            retry=RetryPolicy(attempts=3),
            clock=time.time,
            grace=10.0,
        )
        self.daemon = Daemon(
            options,
            WatchOptions(settle=0.3, max_deferral=10.0, rescan_interval=600.0),
            client,
            self.store,
            lambda poll: watch_paths(root, (), root / ".mediasync", self.stop, poll),
            EventLog(logger),
            self.stop,
        )
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.daemon.run())
        await self.events.until(lambda: self.events.count("synced") == 1)

    async def settled(self, expected: set[str]) -> None:
        """Wait until the state records exactly `expected` and nothing is in flight."""
        await self.events.until(
            lambda: set(self.store.snapshot().entries) == expected and self.daemon.waiting == 0
        )

    async def finish(self) -> None:
        self.stop.set()
        assert self.task is not None
        async with asyncio.timeout(BOUND_S):
            await self.task

    def remote_content(self, path: str) -> bytes:
        return self.library.content(self.store.snapshot().entries[path].remote_id)


@pytest.fixture
async def sandbox() -> AsyncIterator[tuple[HttpLibrary, Library]]:
    config = SandboxConfig()
    server = TestServer(create_app(config))
    await server.start_server()
    client = HttpLibrary(str(server.make_url("")), Secret(config.token), config.location_id)
    assert server.app is not None
    try:
        yield client, server.app[LIBRARY]
    finally:
        await client.aclose()
        await server.close()


@pytest.fixture
async def running(
    tmp_path: Path, sandbox: tuple[HttpLibrary, Library]
) -> AsyncIterator[Running]:
    root = tmp_path / "media"
    root.mkdir()
    for i in range(4):
        (root / f"seed-{i}.png").write_bytes(png_bytes(4 + i, 4))
    run = Running(root, *sandbox)
    await run.start()
    try:
        yield run
    finally:
        if not run.stop.is_set():
            await run.finish()
        run.store.close()


async def wait_for_watcher(run: Running) -> None:
    """Write a probe file until the watcher reports it: from then on no change is missed."""
    probe = run.root / "probe.png"
    probe.write_bytes(png_bytes(9, 9))
    await run.events.until(lambda: run.events.count("uploaded", "probe.png") == 1)


async def test_new_edited_and_deleted_files_follow_with_the_real_watcher(running: Running) -> None:
    root = running.root
    await wait_for_watcher(running)
    (root / "new").mkdir()
    (root / "new" / "a.png").write_bytes(png_bytes(20, 3))
    (root / "seed-0.png").write_bytes(png_bytes(30, 3))
    (root / "seed-1.png").unlink()
    expected = {"probe.png", "new/a.png", "seed-0.png", "seed-2.png", "seed-3.png"}
    await running.settled(expected)
    await running.finish()

    live = sorted(f.path for f in running.library.files())
    assert live == sorted(f"mediasync/{p}" for p in expected)
    assert running.remote_content("seed-0.png") == png_bytes(30, 3)
    assert running.library.stats()["duplicates"] == 0


async def test_an_editor_save_keeps_a_hosted_copy_at_every_moment(running: Running) -> None:
    root = running.root
    await wait_for_watcher(running)
    old_id = running.store.snapshot().entries["seed-2.png"].remote_id
    temp = root / ".seed-2.png.tmp"
    temp.write_bytes(png_bytes(40, 5))
    os.replace(temp, root / "seed-2.png")
    await running.events.until(
        lambda: running.store.snapshot().entries["seed-2.png"].remote_id != old_id
    )
    await running.finish()

    new_id = running.store.snapshot().entries["seed-2.png"].remote_id
    old = running.library.get(old_id, include_inactive=True)
    new = running.library.get(new_id)
    assert old is not None and new is not None and not old.active
    assert new.created_at <= old.updated_at  # the new copy existed before the old one went
    assert running.library.content(new_id) == png_bytes(40, 5)
    assert running.events.count("uploaded", ".seed-2.png.tmp") == 0


async def test_stop_ends_the_daemon_with_nothing_left_open(running: Running) -> None:
    await wait_for_watcher(running)
    (running.root / "last.png").write_bytes(png_bytes(50, 5))
    await running.settled({f"seed-{i}.png" for i in range(4)} | {"probe.png", "last.png"})
    await running.finish()
    assert running.task is not None and running.task.done()
    state_file = running.root / ".mediasync" / "state.db"
    reopened = StateStore.open(state_file, running.library.location_id)
    try:
        assert reopened.pending_intents() == []
    finally:
        reopened.close()
