"""A run killed after an intent was committed: the next run adopts the copy, never duplicates."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from mediasync.engine import run_sync
from mediasync.errors import RetryableError
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from mediasync.state import StateStore
from tests.helpers import example_files, png_bytes
from tests.test_engine import Sleeps, options


async def killed_mid_upload(media: Path, copies: int) -> tuple[MemoryLibrary, StateStore]:
    """The state a run leaves when killed after the remote stored `copies` of images/new.png
    (one per attempt) but before the outcome was recorded."""
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    remote = MemoryLibrary(clock=lambda: NOW)
    await run_sync(options(media, Sleeps()), remote, store)
    folder = store.folders()["mediasync/images"]
    (media / "images/new.png").write_bytes(PNG)
    store.begin_intent(
        "upload", "images/new.png", "new.png", folder, 1_700_000_000.0, size=len(PNG), mtime_ns=7
    )
    for _ in range(copies):
        remote.add_foreign("new.png", PNG, folder)
    return remote, store


PNG = png_bytes()
NOW = 1_700_000_000.0  # the clock of tests.test_engine.options, and the twin's


def named(remote: MemoryLibrary, name: str) -> int:
    return sum(1 for s in remote.files() if s.item.name == name)


async def test_unfinished_upload_is_adopted_not_repeated(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=1)
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.adopted == 1
    assert store.pending_intents() == []
    assert named(remote, "new.png") == 1
    adopted = store.snapshot().entries["images/new.png"]
    assert remote.items[adopted.remote_id].content == PNG
    assert len(remote.files()) == len(example_files()) + 1


async def test_duplicates_from_retries_are_removed(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=3)
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.adopted == 1
    assert named(remote, "new.png") == 1


async def test_intent_with_nothing_remote_uploads_once(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=0)
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.adopted == 0 and report.left_in_place == ()
    assert store.pending_intents() == []
    assert named(remote, "new.png") == 1


async def test_recovery_retries_a_failed_listing(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=1)
    remote.fail_next("list_items", RetryableError("503 Service Unavailable", 503))
    sleeps = Sleeps()
    report = await run_sync(options(media, sleeps), remote, store)
    assert report.adopted == 1
    assert len(sleeps.waits) == 1
    assert named(remote, "new.png") == 1


async def test_a_failed_upload_that_was_stored_is_adopted_next_run(media: Path) -> None:
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    remote = MemoryLibrary(clock=lambda: NOW)
    lost = RetryableError("POST /medias/upload-file: connection failed (ServerDisconnectedError)")
    remote.fail_next("upload", lost, after_store=True)
    once = replace(options(media, Sleeps()), retry=RetryPolicy(attempts=1, sleep=Sleeps()))
    first = await run_sync(once, remote, store)
    assert first.failed == 1
    assert len(store.pending_intents()) == 1
    second = await run_sync(options(media, Sleeps()), remote, store)
    assert second.adopted == 1 and second.failed == 0
    names = [s.item.name for s in remote.files()]
    assert len(names) == len(set(names)) == len(example_files())


async def test_an_adopted_copy_is_recorded_with_the_files_hash(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=1)
    await run_sync(options(media, Sleeps()), remote, store)
    adopted = store.snapshot().entries["images/new.png"]
    assert adopted.sha256 == hashlib.sha256(PNG).hexdigest()
    assert adopted.size == len(PNG)
    assert adopted.mtime_ns == (media / "images/new.png").stat().st_mtime_ns


async def test_someone_elses_same_named_file_is_not_taken_over(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=0)
    folder = store.folders()["mediasync/images"]
    theirs = remote.add_foreign("new.png", png_bytes(3, 3), folder)
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.adopted == 0
    assert not remote.items[theirs].deleted
    ours = store.snapshot().entries["images/new.png"]
    assert ours.remote_id != theirs
    assert remote.items[ours.remote_id].content == PNG
    assert store.pending_intents() == []


async def test_a_file_changed_since_its_intent_is_sent_again(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=1)
    (media / "images/new.png").write_bytes(png_bytes(5, 5))
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.adopted == 0
    assert report.left_in_place == ("images/new.png",)
    ours = store.snapshot().entries["images/new.png"]
    assert remote.items[ours.remote_id].content == png_bytes(5, 5)


async def test_a_copy_dated_after_the_attempts_deadline_is_not_ours(media: Path) -> None:
    remote, store = await killed_mid_upload(media, copies=0)
    folder = store.folders()["mediasync/images"]
    much_later = options(media, Sleeps()).retry.deadline + 300 + 10
    remote.clock = lambda: NOW + much_later  # a colleague's identical upload, much later
    theirs = remote.add_foreign("new.png", PNG, folder)
    remote.clock = lambda: NOW
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.adopted == 0
    assert not remote.items[theirs].deleted
    assert store.snapshot().entries["images/new.png"].remote_id != theirs
