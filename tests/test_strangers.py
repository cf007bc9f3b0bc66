"""A first sync onto a remote folder that already holds its files (a lost state file) stops
before making anything, and --force goes on without touching the copies found."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediasync.engine import run_sync
from mediasync.errors import GuardError
from mediasync.models import OutcomeKind
from mediasync.remote.memory import MemoryLibrary
from mediasync.state import StateStore
from tests.helpers import example_files
from tests.test_engine import Sleeps, options


def open_store(media: Path, name: str = "state.db") -> StateStore:
    return StateStore.open(media / ".mediasync" / name, "loc")


async def synced_then_state_lost(media: Path) -> MemoryLibrary:
    remote = MemoryLibrary()
    store = open_store(media, "lost.db")
    await run_sync(options(media, Sleeps()), remote, store)
    store.close()
    (media / ".mediasync" / "lost.db").unlink()
    return remote


async def test_a_lost_state_file_stops_the_first_sync_before_anything_is_made(
    media: Path,
) -> None:
    remote = await synced_then_state_lost(media)
    before = {i: (s.item, s.deleted) for i, s in remote.items.items()}
    remote.calls.clear()
    with pytest.raises(GuardError) as refused:
        await run_sync(options(media, Sleeps()), remote, open_store(media))
    message = str(refused.value)
    assert f"already holds {len(example_files())} of the files" in message
    assert "--force" in message and "state_file" in message
    assert {i: (s.item, s.deleted) for i, s in remote.items.items()} == before
    assert set(remote.calls) == {"list_items"}


async def test_force_uploads_beside_the_copies_found_and_keeps_them(media: Path) -> None:
    remote = await synced_then_state_lost(media)
    earlier = {s.item.id for s in remote.files()}
    report = await run_sync(options(media, Sleeps(), force=True), remote, open_store(media))
    assert report.count(OutcomeKind.UPLOADED) == len(example_files())
    assert earlier <= {s.item.id for s in remote.files()}
    assert len(remote.files()) == 2 * len(example_files())


async def test_other_files_in_the_folder_do_not_stop_a_first_sync(media: Path) -> None:
    remote = MemoryLibrary()
    root = await remote.create_folder("mediasync", None)
    remote.add_foreign("someone-elses.png", b"theirs", root.id)
    report = await run_sync(options(media, Sleeps()), remote, open_store(media))
    assert report.failed == 0
    assert len(remote.files()) == len(example_files()) + 1


async def test_a_first_sync_into_a_new_folder_costs_one_lookup(media: Path) -> None:
    remote = MemoryLibrary()
    await run_sync(options(media, Sleeps()), remote, open_store(media))
    # The check's one listing (no "mediasync" folder), then the folders being made.
    assert remote.calls[:3] == ["list_items", "list_items", "create_folder"]
    assert len(remote.files()) == len(example_files())


async def test_a_later_sync_never_looks(media: Path) -> None:
    remote = MemoryLibrary()
    store = open_store(media)
    await run_sync(options(media, Sleeps()), remote, store)
    (media / "images" / "late.png").write_bytes((media / "images" / "sunset.png").read_bytes())
    remote.calls.clear()
    report = await run_sync(options(media, Sleeps()), remote, store)
    assert report.failed == 0
    assert "list_items" not in remote.calls
