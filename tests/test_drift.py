"""Files and folders deleted in the web app: noticed by the remote check, restored or reported."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from mediasync.drift import LAST_CHECK, check_due
from mediasync.engine import SyncOptions, run_sync
from mediasync.models import MISSING, RESTORED, ActionKind, OutcomeKind
from mediasync.remote.memory import MemoryLibrary
from mediasync.state import StateStore
from tests.helpers import example_files
from tests.test_engine import Sleeps, options


def checked(media: Path, **changes: object) -> SyncOptions:
    return replace(options(media, Sleeps()), force_remote_check=True, **changes)  # type: ignore[arg-type]


async def synced(media: Path) -> tuple[MemoryLibrary, StateStore]:
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    remote = MemoryLibrary()
    await run_sync(options(media, Sleeps()), remote, store)
    return remote, store


async def test_a_file_deleted_in_the_web_app_is_restored(media: Path) -> None:
    remote, store = await synced(media)
    before = store.snapshot().entries["images/sunset.png"]
    remote.items[before.remote_id].deleted = True
    report = await run_sync(checked(media), remote, store)
    assert report.drift is not None and report.drift.missing == ("images/sunset.png",)
    assert report.count(OutcomeKind.UPLOADED, ActionKind.RESTORE) == 1
    after = store.snapshot().entries["images/sunset.png"]
    assert after.status == RESTORED and after.url != before.url
    assert len(remote.files()) == len(example_files())


async def test_a_deleted_folder_is_made_again_and_its_files_restored(media: Path) -> None:
    remote, store = await synced(media)
    folder_id = store.folders()["mediasync/images/banners"]
    remote.items[folder_id].deleted = True
    for stored in remote.files():
        if stored.item.parent_id == folder_id:
            stored.deleted = True
    report = await run_sync(checked(media), remote, store)
    assert report.drift is not None
    assert report.drift.folders_gone == ("mediasync/images/banners",)
    assert store.folders()["mediasync/images/banners"] != folder_id
    assert report.count(OutcomeKind.UPLOADED, ActionKind.RESTORE) == 2
    assert report.failed == 0
    assert len(remote.files()) == len(example_files())


async def test_report_mode_only_reports(media: Path) -> None:
    remote, store = await synced(media)
    gone = store.snapshot().entries["docs/price-list.pdf"]
    remote.items[gone.remote_id].deleted = True
    opts = checked(media)
    opts = replace(opts, policy=replace(opts.policy, restore_missing=False))
    report = await run_sync(opts, remote, store)
    assert report.plan.missing == ("docs/price-list.pdf",)
    assert report.count(OutcomeKind.UPLOADED) == 0
    assert store.snapshot().entries["docs/price-list.pdf"].status == MISSING
    assert len(remote.files()) == len(example_files()) - 1


async def test_the_check_runs_on_its_interval(media: Path) -> None:
    remote, store = await synced(media)
    assert store.meta(LAST_CHECK) is None
    now = [1_700_000_000.0]
    timed = replace(options(media, Sleeps()), remote_check_interval=3600.0, clock=lambda: now[0])
    await run_sync(timed, remote, store)
    assert store.meta(LAST_CHECK) is not None
    gone = store.snapshot().entries["audio/beep.wav"]
    remote.items[gone.remote_id].deleted = True
    now[0] += 1800
    assert not check_due(store, 3600.0, now[0])
    early = await run_sync(timed, remote, store)
    assert early.drift is None and early.count(OutcomeKind.UPLOADED) == 0
    now[0] += 1800
    due = await run_sync(timed, remote, store)
    assert due.count(OutcomeKind.UPLOADED, ActionKind.RESTORE) == 1


async def test_a_check_with_nothing_gone_changes_nothing(media: Path) -> None:
    remote, store = await synced(media)
    remote.calls.clear()
    report = await run_sync(checked(media), remote, store)
    assert report.drift is not None and report.drift.missing == ()
    assert "upload" not in remote.calls
