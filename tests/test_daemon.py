"""The watch daemon driven by a script: real files and SQLite, the in-memory remote, fake time.

A `World` owns the clock. While uploads are in flight it waits for them for real; only when
the daemon is idle does it jump time to the next scripted step or the daemon's next deadline,
so nothing here sleeps on the wall clock and every run takes the same path.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mediasync.config import MaxDelete
from mediasync.daemon import Daemon, Event, WatchOptions
from mediasync.engine import SyncOptions
from mediasync.errors import AuthError, RetryableError
from mediasync.logs import configure
from mediasync.models import RemoteItem, UploadResult
from mediasync.plan import Policy
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from mediasync.state import StateStore
from tests.helpers import png_bytes

Step = Callable[[], Iterable[str]]


class World:
    def __init__(self) -> None:
        self.t = 0.0
        self.last_step = 0.0
        self.steps: list[tuple[float, Step]] = []
        self.changes: asyncio.Queue[set[str]] = asyncio.Queue()
        self.stop = asyncio.Event()
        self.polls: list[bool] = []
        self.tail = 30.0  # fake seconds the daemon runs on after the last step
        self.source_errors: list[Exception] = []

    def now(self) -> float:
        return self.t

    def at(self, when: float, step: Step) -> None:
        self.steps.append((when, step))
        self.steps.sort(key=lambda s: s[0])

    async def source(self, poll: bool) -> AsyncIterator[set[str]]:
        self.polls.append(poll)
        if self.source_errors:
            raise self.source_errors.pop(0)
        while True:
            yield await self.changes.get()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)

    async def wait(
        self, events: asyncio.Queue[Event], within: float | None, busy: bool
    ) -> Event | None:
        for _ in range(5):  # let the pump hand over what it holds
            if not events.empty():
                return events.get_nowait()
            await asyncio.sleep(0)
        if busy:
            return await events.get()
        limit = self.t + within if within is not None else math.inf
        if self.steps and self.steps[0][0] <= limit:
            when, step = self.steps.pop(0)
            self.t = max(self.t, when)
            self.last_step = when
            paths = set(step())
            if paths:
                self.changes.put_nowait(paths)
            return None
        end = (self.steps[-1][0] if self.steps else self.last_step) + self.tail
        if not self.steps and limit > end:
            self.stop.set()  # the script is over and its tail has passed
            return await events.get()
        self.t = limit
        return None


class Recording(MemoryLibrary):
    """The twin, keeping a timeline of uploads and deletes by name."""

    def __init__(self) -> None:
        super().__init__()
        self.timeline: list[tuple[str, str, str]] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self.sending: dict[str, int] = {}
        self.most_at_once: dict[str, int] = {}

    async def upload(
        self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
    ) -> UploadResult:
        self.entered.set()
        self.sending[name] = self.sending.get(name, 0) + 1
        self.most_at_once[name] = max(self.most_at_once.get(name, 0), self.sending[name])
        try:
            if self.gate is not None:
                await self.gate.wait()
            result = await super().upload(path, size, name, parent_id, content_type)
        finally:
            self.sending[name] -= 1
        self.timeline.append(("upload", name, result.remote_id))
        return result

    async def delete(self, remote_id: str) -> None:
        name = self.items[remote_id].item.name if remote_id in self.items else "?"
        await super().delete(remote_id)
        self.timeline.append(("delete", name, remote_id))

    def count(self, op: str, name: str | None = None) -> int:
        return sum(1 for o, n, _ in self.timeline if o == op and (name is None or n == name))

    def live_names(self) -> list[str]:
        return sorted(s.item.name for s in self.files())


class Harness:
    def __init__(self, root: Path, **watch: Any) -> None:
        self.root = root
        self.world = World()
        self.remote = Recording()
        self.store = StateStore.open(root / ".mediasync" / "state.db", "loc1")
        self.stream = io.StringIO()
        self.log = configure("json", self.stream, name=f"test.daemon.{id(self)}")
        self.options = SyncOptions(
            root=root,
            root_folder="mediasync",
            ignore=(),
            state_dir=root / ".mediasync",
            concurrency=3,
            policy=Policy(),
            retry=RetryPolicy(attempts=2, sleep=self.world.sleep),
            clock=lambda: 1_700_000_000.0 + self.world.t,
            grace=30.0,
            sleep=self.world.sleep,
        )
        self.watch = WatchOptions(
            **{"settle": 2.0, "max_deferral": 20.0, "health_interval": 1000.0, **watch}
        )
        self.daemon = Daemon(
            self.options,
            self.watch,
            self.remote,
            self.store,
            self.world.source,
            self.log,
            self.world.stop,
            monotonic=self.world.now,
            wait=self.world.wait,
        )

    async def run(self) -> None:
        await asyncio.wait_for(self.daemon.run(), timeout=20)

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.stream.getvalue().splitlines()]
        return [e for e in lines if name is None or e["event"] == name]

    def write(self, rel: str, data: bytes, append: bool = False) -> Step:
        def step() -> list[str]:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab" if append else "wb") as handle:
                handle.write(data)
            return [rel]

        return step

    def remove(self, rel: str, report: bool = True) -> Step:
        def step() -> list[str]:
            (self.root / rel).unlink()
            return [rel] if report else []

        return step

    def rename(self, old: str, new: str) -> Step:
        def step() -> list[str]:
            (self.root / new).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.root / old, self.root / new)
            return [old, new]

        return step

    def synced_paths(self) -> set[str]:
        return set(self.store.snapshot().entries)

    def local_paths(self) -> set[str]:
        return {
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and ".mediasync" not in p.parts
        }


def image(n: int) -> bytes:
    """A distinct real PNG for each n."""
    return png_bytes(4 + n % 29, 4 + n // 29)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    return folder


def seed(root: Path, count: int) -> list[str]:
    names = [f"old/pic-{i:02d}.png" for i in range(count)]
    for i, name in enumerate(names):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(image(100 + i))
    return names


async def test_a_burst_of_changes_ends_with_the_library_equal_to_the_folder(root: Path) -> None:
    old = seed(root, 20)
    h = Harness(root)
    for i in range(50):
        h.world.at(1.0 + i * 0.01, h.write(f"new/batch-{i // 10}/img-{i:02d}.png", image(i)))
    for i in range(10):
        h.world.at(1.2 + i * 0.01, h.write(old[i], image(300 + i)))
    for i in range(10, 15):
        h.world.at(1.3 + i * 0.01, h.rename(old[i], f"renamed/pic-{i:02d}.png"))
    for i in range(15, 20):
        h.world.at(1.4 + i * 0.01, h.remove(old[i]))
    await h.run()

    assert h.synced_paths() == h.local_paths()
    assert sorted(h.remote.live_names()) == sorted(p.rsplit("/", 1)[1] for p in h.local_paths())
    for entry in h.store.snapshot().entries.values():
        assert h.remote.items[entry.remote_id].content == (root / entry.path).read_bytes()
    # Each change made once: 20 first uploads, then 50 new + 10 edits + 5 renames.
    assert h.remote.count("upload") == 20 + 65
    # 10 replaced copies, 5 renamed-away copies, 5 deleted files.
    assert h.remote.count("delete") == 20
    assert h.store.pending_intents() == []
    # The counters the stopped and health lines show: old copies count as deleted too.
    assert (h.daemon.stats.uploaded, h.daemon.stats.deleted) == (20 + 65, 20)


async def test_a_file_written_in_chunks_a_second_apart_is_uploaded_once(root: Path) -> None:
    h = Harness(root)
    data = image(7)
    chunks = [data[i * len(data) // 5 : (i + 1) * len(data) // 5] for i in range(5)]
    for i, chunk in enumerate(chunks):
        h.world.at(1.0 + i, h.write("slow.png", chunk, append=True))
    await h.run()
    assert h.remote.count("upload", "slow.png") == 1
    (stored,) = h.remote.files()
    assert stored.content == data


async def test_an_editor_save_replaces_the_remote_copy_without_a_gap(root: Path) -> None:
    (root / "page.png").write_bytes(image(1))
    h = Harness(root)

    def editor_save() -> list[str]:
        (root / ".page.png.swp").write_bytes(b"swap")
        (root / "page.png~").write_bytes(image(1))
        (root / ".page.png.tmp").write_bytes(image(2))
        os.replace(root / ".page.png.tmp", root / "page.png")
        (root / ".page.png.swp").unlink()
        (root / "page.png~").unlink()
        return [".page.png.swp", "page.png~", ".page.png.tmp", "page.png"]

    h.world.at(1.0, editor_save)
    await h.run()
    ops = [(op, name) for op, name, _ in h.remote.timeline]
    assert ops == [("upload", "page.png"), ("upload", "page.png"), ("delete", "page.png")]
    (stored,) = h.remote.files()
    assert stored.content == image(2)


async def test_a_move_uploads_the_new_copy_before_deleting_the_old(root: Path) -> None:
    seed(root, 2)  # so that one delete stays under the delete guard's 50%
    (root / "a").mkdir()
    (root / "a" / "x.png").write_bytes(image(3))
    h = Harness(root)
    h.world.at(1.0, h.rename("a/x.png", "b/x.png"))
    await h.run()
    ops = [(op, name) for op, name, _ in h.remote.timeline if name == "x.png"]
    assert ops == [("upload", "x.png"), ("upload", "x.png"), ("delete", "x.png")]
    assert h.synced_paths() == {"b/x.png", "old/pic-00.png", "old/pic-01.png"}


async def test_a_moved_folder_follows_with_all_its_files(root: Path) -> None:
    seed(root, 4)
    for i in range(5):
        (root / f"keep-{i}.png").write_bytes(image(50 + i))
    h = Harness(root)

    def move_folder() -> list[str]:
        os.replace(root / "old", root / "archive")
        return ["old", "archive"]  # watchers report the folder, not its files

    h.world.at(1.0, move_folder)
    await h.run()
    moved = {f"archive/pic-{i:02d}.png" for i in range(4)}
    assert h.synced_paths() == moved | {f"keep-{i}.png" for i in range(5)}
    assert len(h.remote.files()) == 9


async def test_temporary_files_are_never_sent_and_their_removal_deletes_nothing(
    root: Path,
) -> None:
    h = Harness(root)
    temps = ["~$report.docx", "clip.mp4.crdownload", "photo.jpg.part", ".photo.png.swp", "4913"]
    for i, name in enumerate(temps):
        h.world.at(1.0 + i * 0.1, h.write(name, image(i)))
        h.world.at(5.0 + i * 0.1, h.remove(name))
    await h.run()
    assert h.remote.timeline == []


async def test_a_path_changed_during_its_upload_ends_with_its_last_content(root: Path) -> None:
    h = Harness(root)
    gate = h.remote.gate = asyncio.Event()
    h.world.at(1.0, h.write("a.png", image(1)))
    original_wait = h.world.wait

    async def wait(events: asyncio.Queue[Event], within: float | None, busy: bool) -> Event | None:
        if busy and not gate.is_set():
            await h.remote.entered.wait()
            (root / "a.png").write_bytes(image(2))  # while the first upload is in flight
            h.world.changes.put_nowait({"a.png"})
            gate.set()
        return await original_wait(events, within, busy)

    h.daemon._wait = wait
    await h.run()
    assert h.remote.most_at_once == {"a.png": 1}  # never two uploads of one path at once
    (stored,) = h.remote.files()
    assert stored.content == image(2)
    entry = h.store.snapshot().entries["a.png"]
    assert h.remote.items[entry.remote_id].content == image(2)
    assert (entry.size, entry.mtime_ns) == (len(image(2)), (root / "a.png").stat().st_mtime_ns)


async def test_a_file_that_never_stops_changing_is_sent_once_per_deferral(root: Path) -> None:
    h = Harness(root, max_deferral=10.0)
    for i in range(25):
        h.world.at(1.0 + i, h.write("growing.png", image(i)))
    await h.run()
    # Changing for 25 s: forced at 11 s and 22 s, then once more after it stops.
    assert h.remote.count("upload", "growing.png") == 3
    warned = h.events("still-changing")
    assert len(warned) == 2 and warned[0]["path"] == "growing.png"
    assert h.remote.items[h.store.snapshot().entries["growing.png"].remote_id].content == image(24)


async def test_a_rescan_finds_changes_the_watcher_missed(root: Path) -> None:
    h = Harness(root, rescan_interval=60.0)
    h.world.tail = 100.0

    def write_quietly() -> list[str]:
        (root / "quiet.png").write_bytes(image(5))
        return []  # the watcher missed it

    h.world.at(1.0, write_quietly)
    await h.run()
    assert h.synced_paths() == {"quiet.png"}
    assert h.events("rescan")[0]["found"] == 1


async def test_rejections_are_logged_at_start_and_once_more_only_when_new(root: Path) -> None:
    # Made while no daemon ran: only the first full scan can find them.
    os.mkfifo(root / "pipe.png")
    (root / "link.png").symlink_to(root / "pipe.png")
    (root / "line\nbreak.png").write_bytes(image(1))
    (root / "fake.png").write_text("only text")  # refused by the worker, for its content
    h = Harness(root, rescan_interval=20.0)
    h.world.tail = 100.0  # four rescans

    def another_pipe_quietly() -> list[str]:
        os.mkfifo(root / "later.png")
        return []  # the watcher missed it

    h.world.at(30.0, another_pipe_quietly)
    await h.run()
    rescans = h.events("rescan")
    assert len(rescans) >= 4 and [r["found"] for r in rescans] == [0] * len(rescans)
    told = [(e["path"], e["reason"].split(" ")[0]) for e in h.events("rejected")]
    assert told == [
        ("fake.png", "content"),
        ("line\\x0abreak.png", "name"),
        ("link.png", "a"),
        ("pipe.png", "not"),
        ("later.png", "not"),
    ]
    assert {p for p, _, _ in h.store.problems()} >= {"pipe.png", "later.png"}


async def test_a_refused_file_fixed_behind_the_watchers_back_is_sent_by_a_rescan(
    root: Path,
) -> None:
    (root / "fake.png").write_text("only text")
    h = Harness(root, rescan_interval=20.0)
    h.world.tail = 60.0

    def fix_quietly() -> list[str]:
        (root / "fake.png").write_bytes(image(2))
        return []

    h.world.at(30.0, fix_quietly)
    await h.run()
    assert h.synced_paths() == {"fake.png"}
    assert len(h.events("rejected")) == 1


async def test_a_failed_watcher_is_restarted_and_followed_by_a_rescan(root: Path) -> None:
    h = Harness(root, rescan_interval=1000.0)
    h.world.source_errors.append(RuntimeError("inotify went away"))
    (root / "during.png").write_bytes(image(8))
    await h.run()
    assert h.events("watcher-failed")
    assert h.synced_paths() == {"during.png"}
    assert h.world.polls == [False, False]


async def test_the_os_watch_limit_switches_to_polling_and_says_how_to_raise_it(root: Path) -> None:
    h = Harness(root)
    h.world.source_errors.append(OSError(28, "OS file watch limit reached"))
    await h.run()
    (warning,) = h.events("watch-limit")
    assert "max_user_watches" in warning["message"]
    assert h.world.polls == [False, True]


async def test_a_mass_delete_is_refused_by_the_guard(root: Path) -> None:
    old = seed(root, 10)
    h = Harness(root)
    for name in old[:8]:
        h.world.at(1.0, h.remove(name))
    await h.run()
    assert h.remote.count("delete") == 0
    assert "refusing to delete 8 of 10" in h.events("delete-guard")[0]["message"]
    assert len(h.synced_paths()) == 10


async def test_an_emptied_folder_deletes_nothing(root: Path) -> None:
    seed(root, 1)
    h = Harness(root)
    h.daemon.options = replace(h.options, policy=Policy(max_delete=MaxDelete(count=5)))
    h.world.at(1.0, h.remove("old/pic-00.png"))

    def remove_folder() -> list[str]:
        (root / "old").rmdir()
        return ["old"]

    h.world.at(1.1, remove_folder)
    await h.run()
    assert h.remote.count("delete") == 0
    assert "is empty" in h.events("root-missing")[0]["message"]


async def test_deletes_wait_while_an_upload_has_failed(root: Path) -> None:
    seed(root, 2)
    (root / "a").mkdir()
    (root / "a" / "x.png").write_bytes(image(3))
    h = Harness(root, rescan_interval=50.0)
    move = h.rename("a/x.png", "b/x.png")

    def move_and_fail_its_upload() -> Iterable[str]:
        for _ in range(2):  # both attempts of the move's upload fail
            h.remote.fail_next("upload", RetryableError("upload: 503", 503))
        return move()

    h.world.at(1.0, move_and_fail_its_upload)
    h.world.at(40.0, lambda: [])
    await h.run()
    # The old copy stayed until the rescan sent the new one; then it went.
    ops = [op for op, name, _ in h.remote.timeline if name == "x.png"]
    assert ops == ["upload", "upload", "delete"]
    assert h.synced_paths() == {"b/x.png", "old/pic-00.png", "old/pic-01.png"}


async def test_a_fatal_error_stops_the_daemon(root: Path) -> None:
    h = Harness(root)
    h.world.at(1.0, h.write("a.png", image(1)))
    h.remote.fail_next("upload", AuthError("401 token refused"))
    with pytest.raises(AuthError):
        await h.run()


async def test_health_lines_come_at_the_interval(root: Path) -> None:
    h = Harness(root, health_interval=10.0)
    h.world.at(1.0, h.write("a.png", image(1)))
    h.world.at(25.0, lambda: [])
    await h.run()
    lines = h.events("health")
    assert len(lines) == 5  # at 10, 20, 30, 40 and 50: the run ends 30 s after the last step
    assert lines[-1]["uploaded"] == 1 and lines[-1]["in_flight"] == 0
    assert "last rescan" in lines[-1]["message"]


async def test_stop_lets_uploads_in_flight_finish_within_the_grace(root: Path) -> None:
    h = Harness(root)
    h.remote.gate = asyncio.Event()
    gate = h.remote.gate
    h.world.at(1.0, h.write("a.png", image(1)))
    waited: list[float] = []

    async def grace_sleep(seconds: float) -> None:
        waited.append(seconds)
        gate.set()  # the transfer ends inside the grace period
        await asyncio.Event().wait()

    h.daemon.options = replace(h.options, sleep=grace_sleep)
    original_wait = h.world.wait

    async def wait(events: asyncio.Queue[Event], within: float | None, busy: bool) -> Event | None:
        if busy:
            await h.remote.entered.wait()  # stop once the upload is under way
            h.world.stop.set()
        return await original_wait(events, within, busy)

    h.daemon._wait = wait
    await h.run()
    assert waited == [30.0]
    assert h.synced_paths() == {"a.png"}
    assert h.store.pending_intents() == []
    # What finished during the grace is logged and counted like any other outcome.
    assert [e["path"] for e in h.events("uploaded")] == ["a.png"]
    assert h.daemon.stats.uploaded == 1


async def test_a_stop_while_a_folder_is_being_made_waits_no_longer_than_the_grace(
    root: Path,
) -> None:
    h = Harness(root)
    stuck = asyncio.Event()
    make_folder = h.remote.create_folder

    async def never_answers(name: str, parent_id: str | None) -> RemoteItem:
        if name == "deep":
            stuck.set()
            await asyncio.Event().wait()
        return await make_folder(name, parent_id)

    h.remote.create_folder = never_answers  # type: ignore[method-assign]
    waited: list[float] = []

    async def grace_sleep(seconds: float) -> None:
        waited.append(seconds)  # the grace passes at once

    h.daemon.options = replace(h.options, sleep=grace_sleep)
    h.world.at(1.0, h.write("deep/a.png", image(1)))

    async def stop_once_stuck() -> None:
        await stuck.wait()
        h.world.stop.set()

    stopper = asyncio.create_task(stop_once_stuck())
    await h.run()
    await stopper
    assert 30.0 in waited
    assert h.remote.timeline == []
    assert "0 transfers in flight" in h.events("stopping")[0]["message"]


async def test_a_rename_in_a_folder_renames_the_remote_copy_and_keeps_its_url(
    root: Path,
) -> None:
    seed(root, 2)
    h = Harness(root)
    h.world.at(1.0, h.rename("old/pic-00.png", "old/hero.png"))
    await h.run()
    assert h.remote.count("upload") == 2 and h.remote.count("delete") == 0  # the seed only
    (renamed,) = h.events("renamed")
    assert renamed["path"] == "old/hero.png" and renamed["previous_path"] == "old/pic-00.png"
    entry = h.store.snapshot().entries["old/hero.png"]
    assert h.remote.items[entry.remote_id].item.name == "hero.png"
    assert renamed["url"] == entry.url
    assert h.synced_paths() == {"old/hero.png", "old/pic-01.png"}
    assert h.daemon.stats.renamed == 1
