"""File-system oddities and change detection through a whole pass: links, special and
vanishing files, new ignore rules, --checksum. Nothing here may delete a remote copy."""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from mediasync import scan, worker
from mediasync.config import MaxDelete
from mediasync.engine import SyncOptions, SyncReport, run_sync
from mediasync.errors import RejectedError
from mediasync.models import (
    ActionKind,
    LocalFile,
    LocalSnapshot,
    OutcomeKind,
    StateEntry,
    SyncState,
    UploadResult,
)
from mediasync.plan import Policy, plan
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from mediasync.state import StateStore
from tests.helpers import png_bytes
from tests.samples import JPEG

EVERYTHING = MaxDelete(percent=100)


async def no_sleep(_: float) -> None:
    return None


def options(
    root: Path, policy: Policy, ignore: tuple[str, ...] = (), follow_symlinks: bool = False
) -> SyncOptions:
    return SyncOptions(
        root=root,
        root_folder="m",
        ignore=ignore,
        state_dir=root / ".mediasync",
        concurrency=2,
        policy=replace(policy, ignore=ignore),
        retry=RetryPolicy(attempts=2, sleep=no_sleep),
        clock=lambda: 1_700_000_000.0,
        follow_symlinks=follow_symlinks,
    )


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / "a.png").write_bytes(png_bytes())
    (folder / "b.jpg").write_bytes(JPEG)
    (folder / "notes").mkdir()
    (folder / "notes" / "c.png").write_bytes(png_bytes(2, 2))
    return folder


@pytest.fixture
def store(root: Path) -> StateStore:
    return StateStore.open(root / ".mediasync" / "state.db", "loc")


async def sync(
    root: Path,
    remote: MemoryLibrary,
    store: StateStore,
    policy: Policy | None = None,
    ignore: tuple[str, ...] = (),
    follow_symlinks: bool = False,
) -> SyncReport:
    chosen = policy or Policy(max_delete=EVERYTHING)
    return await run_sync(options(root, chosen, ignore, follow_symlinks), remote, store)


async def test_a_new_ignore_rule_keeps_the_remote_copies(
    root: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    await sync(root, remote, store)
    report = await sync(root, remote, store, ignore=("*.jpg", "notes"))
    assert "delete" not in remote.calls
    assert report.plan.kept_ignored == ("b.jpg", "notes/c.png")
    assert len(remote.files()) == 3
    assert sorted(store.snapshot().entries) == ["a.png", "b.jpg", "notes/c.png"]


async def test_delete_ignored_asks_for_those_deletes(root: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(root, remote, store)
    policy = Policy(max_delete=EVERYTHING, delete_ignored=True)
    report = await sync(root, remote, store, policy, ignore=("*.jpg",))
    assert [(o.kind, o.path) for o in report.outcomes] == [(OutcomeKind.DELETED, "b.jpg")]
    assert report.plan.deleted_ignored == ("b.jpg",) and report.plan.kept_ignored == ()
    assert sorted(store.snapshot().entries) == ["a.png", "notes/c.png"]


async def test_links_and_special_files_never_delete_what_they_replace(
    root: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    await sync(root, remote, store)
    # Each recorded file is swapped for something that cannot be sent.
    (root / "a.png").unlink()
    (root / "a.png").symlink_to(root / "notes" / "c.png")
    (root / "b.jpg").unlink()
    os.mkfifo(root / "b.jpg")
    (root / "notes" / "c.png").rename(root / "c-real.png")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(root / "notes" / "c.png"))
        report = await sync(root, remote, store)
    assert "delete" not in remote.calls
    reasons = {r.path: r.reason for r in report.plan.rejections}
    assert reasons["a.png"].startswith("a symbolic link: skipped")
    assert reasons["b.jpg"].startswith("not a regular file")
    assert reasons["notes/c.png"].startswith("not a regular file")
    assert sorted(store.snapshot().entries) == ["a.png", "b.jpg", "c-real.png", "notes/c.png"]
    problems = {p[0]: p[2] for p in store.problems()}
    assert problems["a.png"] == reasons["a.png"]


async def test_followed_links_are_uploaded(root: Path, store: StateStore) -> None:
    (root / "alias.png").symlink_to(root / "a.png")
    remote = MemoryLibrary()
    report = await sync(root, remote, store, follow_symlinks=True)
    assert sorted(o.path for o in report.outcomes) == ["a.png", "alias.png", "b.jpg", "notes/c.png"]


async def test_a_file_that_vanishes_before_its_turn_is_skipped_not_deleted(
    root: Path, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = MemoryLibrary()
    await sync(root, remote, store)
    (root / "a.png").write_bytes(png_bytes(9, 9))
    real_restat = scan.restat

    def restat(folder: Path, path: str) -> LocalFile | None:
        if path == "a.png":
            (folder / path).unlink(missing_ok=True)
        return real_restat(folder, path)

    monkeypatch.setattr(worker, "restat", restat)
    report = await sync(root, remote, store)
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.REJECTED
    assert outcome.reason == (
        "vanished before it could be sent; skipped, the next sync tries it again"
    )
    assert "delete" not in remote.calls
    assert "a.png" in store.snapshot().entries
    assert report.failed == 0


async def test_a_file_unreadable_at_send_time_is_skipped_with_a_reason(
    root: Path, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root reads any file whatever its mode, so the refusal is put where the read happens.
    real_look = worker._look

    def locked(base: Path, path: str) -> tuple[LocalFile | None, bytes | OSError]:
        current, _ = real_look(base, path)
        return current, PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(worker, "_look", locked)
    remote = MemoryLibrary()
    report = await sync(root, remote, store)
    assert {o.kind for o in report.outcomes} == {OutcomeKind.REJECTED}
    assert report.failed == 0
    assert {p[2] for p in store.problems()} == {
        "cannot read: Permission denied; skipped, the next sync tries it again"
    }


async def test_checksum_finds_a_change_that_kept_size_and_mtime(
    root: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    await sync(root, remote, store)
    path = root / "a.png"
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF  # same size; mtime put back below, as some copy tools do
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    quick = await sync(root, remote, store)
    assert quick.outcomes == [] and quick.plan.unchanged == 3

    remote.calls.clear()
    thorough = await sync(root, remote, store, Policy(max_delete=EVERYTHING, checksum=True))
    kinds = sorted((o.kind.value, o.path) for o in thorough.outcomes)
    assert kinds == [
        ("unchanged", "b.jpg"),
        ("unchanged", "notes/c.png"),
        ("uploaded", "a.png"),
    ]
    assert remote.calls.count("upload") == 1
    (stored,) = [f for f in remote.files() if f.item.name == "a.png"]
    assert stored.content == bytes(data)


def test_checksum_plans_every_recorded_file_and_still_sends_new_ones() -> None:
    local = LocalSnapshot.of([LocalFile("a.png", 5, 1), LocalFile("new.png", 5, 1)])
    state = SyncState.of([StateEntry("a.png", 5, 1, "h", "id", "u", None, 1.0)])
    for _ in range(2):
        result = plan(local, state, Policy(checksum=True))
        assert [(a.kind, a.path) for a in result.uploads] == [
            (ActionKind.REPLACE, "a.png"),
            (ActionKind.UPLOAD, "new.png"),
        ]
        assert plan(local, state, Policy()).unchanged == 1


async def test_a_failed_file_gets_one_line_saying_what_to_do(
    root: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    remote.fail_next("upload", RejectedError("upload: 422 name is invalid", 422))
    report = await sync(root, remote, store)
    (failed,) = [o for o in report.outcomes if o.kind is OutcomeKind.FAILED]
    assert failed.reason == (
        "upload: 422 name is invalid: the library refused it; check its type, size and name, "
        "then sync again"
    )
    assert [(p[0], p[1], p[2]) for p in store.problems()] == [
        (failed.path, "failed", failed.reason)
    ]


async def test_a_file_that_never_stops_changing_fails_with_a_reason_and_leaves_no_copy(
    root: Path, store: StateStore
) -> None:
    target = root / "a.png"

    class Changing(MemoryLibrary):
        async def upload(
            self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
        ) -> UploadResult:
            result = await super().upload(path, size, name, parent_id, content_type)
            if path == target:
                target.write_bytes(target.read_bytes() + b"x")
            return result

    remote = Changing()
    report = await sync(root, remote, store)
    (failed,) = [o for o in report.outcomes if o.kind is OutcomeKind.FAILED]
    assert failed.path == "a.png"
    assert failed.reason == "kept changing while it was being sent: let it finish, then sync again"
    assert "a.png" not in [f.item.name for f in remote.files()]
    assert "a.png" not in store.snapshot().entries


async def test_a_file_that_shrinks_while_it_is_read_fails_and_is_not_recorded(
    root: Path, store: StateStore
) -> None:
    target = root / "a.png"

    class Shrinking(MemoryLibrary):
        async def upload(
            self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
        ) -> UploadResult:
            if path == target:
                target.write_bytes(target.read_bytes()[:10])  # cut short under the reader
            return await super().upload(path, size, name, parent_id, content_type)

    remote = Shrinking()
    report = await sync(root, remote, store)
    (failed,) = [o for o in report.outcomes if o.path == "a.png"]
    # A failure, not a rejection: its intent stays, in case an earlier attempt was stored.
    assert failed.kind is OutcomeKind.FAILED
    assert failed.reason == "kept changing while it was being sent: let it finish, then sync again"
    assert [i.path for i in store.pending_intents()] == ["a.png"]
    assert "a.png" not in [f.item.name for f in remote.files()]
    assert "a.png" not in store.snapshot().entries
