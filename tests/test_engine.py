"""The sync pass end to end on real files and real SQLite, with the in-memory remote twin."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mediasync.config import MaxDelete
from mediasync.engine import SyncOptions, SyncReport, run_sync
from mediasync.errors import AuthError, RetryableError, RootError
from mediasync.models import ActionKind, OutcomeKind, UploadResult
from mediasync.plan import Policy
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from mediasync.state import StateStore
from tests.helpers import example_files, png_bytes


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def options(root: Path, sleeps: Sleeps, **policy: object) -> SyncOptions:
    return SyncOptions(
        root=root,
        root_folder="mediasync",
        ignore=(),
        state_dir=root / ".mediasync",
        concurrency=3,
        policy=Policy(**policy),  # type: ignore[arg-type]
        retry=RetryPolicy(attempts=4, sleep=sleeps),
        clock=lambda: 1_700_000_000.0,
    )


@pytest.fixture
def store(media: Path) -> StateStore:
    return StateStore.open(media / ".mediasync" / "state.db", "loc1")


async def sync(
    media: Path, remote: MemoryLibrary, store: StateStore, **policy: object
) -> SyncReport:
    return await run_sync(options(media, Sleeps(), **policy), remote, store)


def remote_paths(remote: MemoryLibrary) -> set[str]:
    def path_of(item_id: str | None) -> str:
        if item_id is None:
            return ""
        item = remote.items[item_id].item
        parent = path_of(item.parent_id)
        return f"{parent}/{item.name}" if parent else item.name

    return {path_of(s.item.id) for s in remote.files()}


async def test_first_run_uploads_every_file_into_its_folder(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    report = await sync(media, remote, store)
    assert report.count(OutcomeKind.UPLOADED) == len(example_files())
    assert remote_paths(remote) == {f"mediasync/{p}" for p in example_files()}
    for stored in remote.files():
        entry = next(e for e in store.snapshot().entries.values() if e.remote_id == stored.item.id)
        assert stored.content == (media / entry.path).read_bytes()
    assert not (media / ".mediasync" / "state.db").is_relative_to(media / "x")


async def test_second_run_uploads_nothing(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    remote.calls.clear()
    report = await sync(media, remote, store)
    assert "upload" not in remote.calls
    assert report.plan.unchanged == len(example_files())


async def test_modified_file_is_replaced_new_first(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    before = store.snapshot().entries["images/sunset.png"]
    (media / "images/sunset.png").write_bytes(png_bytes(8, 8))
    remote.calls.clear()
    report = await sync(media, remote, store)
    after = store.snapshot().entries["images/sunset.png"]
    assert report.count(OutcomeKind.UPLOADED, ActionKind.REPLACE) == 1
    assert after.url != before.url
    assert remote.calls.index("upload") < remote.calls.index("delete")
    assert remote.items[before.remote_id].deleted


async def test_touched_file_with_same_bytes_is_not_sent(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    path = media / "docs/price-list.pdf"
    os.utime(path, ns=(1, 1))
    remote.calls.clear()
    report = await sync(media, remote, store)
    assert report.count(OutcomeKind.UNCHANGED) == 1
    assert "upload" not in remote.calls
    assert store.snapshot().entries["docs/price-list.pdf"].mtime_ns == 1


async def test_removed_file_is_deleted_remotely(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    gone = store.snapshot().entries["audio/beep.wav"]
    (media / "audio/beep.wav").unlink()
    report = await sync(media, remote, store)
    assert report.count(OutcomeKind.DELETED) == 1
    assert remote.items[gone.remote_id].deleted
    assert "audio/beep.wav" not in store.snapshot().entries


async def test_foreign_files_are_never_deleted(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    folder = store.folders()["mediasync/images"]
    foreign = remote.add_foreign("sunset.png", b"someone else's", folder)
    for path in list(media.rglob("*.png")):
        path.unlink()
    await sync(media, remote, store)
    assert not remote.items[foreign].deleted


async def test_delete_guard_refuses_then_force_deletes(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    files = example_files()
    doomed = files[: int(len(files) * 0.6) + 1]
    for rel in doomed:
        (media / rel).unlink()
    report = await sync(media, remote, store, max_delete=MaxDelete(percent=50))
    assert report.deletes_skipped is not None and "--force" in report.deletes_skipped
    assert report.count(OutcomeKind.DELETED) == 0
    assert len(remote.files()) == len(files)
    forced = await sync(media, remote, store, force=True)
    assert forced.count(OutcomeKind.DELETED) == len(doomed)
    assert len(remote.files()) == len(files) - len(doomed)


async def test_empty_root_with_state_is_fatal(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    for path in [p for p in media.rglob("*") if p.is_file() and ".mediasync" not in p.parts]:
        path.unlink()
    with pytest.raises(RootError):
        await sync(media, remote, store)
    assert len(remote.files()) == len(example_files())


async def test_retryable_errors_are_retried_with_recorded_waits(
    media: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    remote.fail_next("upload", RetryableError("502 Bad Gateway", 502))
    remote.fail_next("upload", RetryableError("connection reset", None))
    sleeps = Sleeps()
    report = await run_sync(options(media, sleeps), remote, store)
    assert report.failed == 0
    assert len(sleeps.waits) == 2
    assert len(remote.files()) == len(example_files())


async def test_failure_skips_deletes_and_reports(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    (media / "audio/beep.wav").unlink()
    (media / "images/new.png").write_bytes(png_bytes())
    for _ in range(4):
        remote.fail_next("upload", RetryableError("503 Service Unavailable", 503))
    report = await sync(media, remote, store)
    assert report.failed == 1
    assert report.deletes_skipped == "1 delete skipped because uploads failed"
    assert "audio/beep.wav" in store.snapshot().entries
    assert [p[0] for p in store.problems()] == ["images/new.png"]


async def test_a_failure_with_no_delete_planned_says_no_delete_was_skipped(
    media: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    await sync(media, remote, store)
    (media / "images/new.png").write_bytes(png_bytes())
    for _ in range(4):
        remote.fail_next("upload", RetryableError("503 Service Unavailable", 503))
    report = await sync(media, remote, store)
    assert report.failed == 1 and report.plan.deletes == ()
    assert report.deletes_skipped is None


async def test_fatal_error_stops_the_run(media: Path, store: StateStore) -> None:
    remote = MemoryLibrary()
    remote.fail_next("upload", AuthError("the token was refused"))
    with pytest.raises(AuthError):
        await sync(media, remote, store)


async def test_bad_files_are_rejected_and_the_rest_goes_on(media: Path, store: StateStore) -> None:
    (media / "fake.png").write_text("not an image")
    (media / "empty.png").write_bytes(b"")
    (media / "mislabeled.jpg").write_bytes(png_bytes())
    (media / "noext").write_bytes(png_bytes())
    (media / ".DS_Store").write_bytes(b"junk")
    (media / "photo.jpg.part").write_bytes(b"junk")
    remote = MemoryLibrary()
    report = await sync(media, remote, store)
    rejected = {p for p, kind, _ in store.problems() if kind == "rejected"}
    assert rejected == {"fake.png", "empty.png", "noext"}
    assert report.failed == 0
    sent = {s.item.name: s.content_type for s in remote.files()}
    assert sent["mislabeled.jpg"] == "image/png"
    assert ".DS_Store" not in sent and "photo.jpg.part" not in sent
    assert len(sent) == len(example_files()) + 1


async def test_unicode_names_are_kept(media: Path, store: StateStore) -> None:
    names = ["Café menu.jpg", "emoji 🎉 party.png", "résumé (final) [v2].pdf"]
    sources = ["images/team-photo.jpg", "images/sunset.png", "docs/price-list.pdf"]
    for name, source in zip(names, sources, strict=True):
        (media / name).write_bytes((media / source).read_bytes())
    remote = MemoryLibrary()
    await sync(media, remote, store)
    assert set(names) <= {s.item.name for s in remote.files()}


async def test_file_changing_during_send_is_sent_again(media: Path, store: StateStore) -> None:
    target = media / "images/sunset.png"

    class Changing(MemoryLibrary):
        rounds = 0

        async def upload(
            self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
        ) -> UploadResult:
            result = await super().upload(path, size, name, parent_id, content_type)
            if path == target and self.rounds == 0:
                self.rounds += 1
                target.write_bytes(png_bytes(16, 16))
            return result

    remote = Changing()
    await sync(media, remote, store)
    entry = store.snapshot().entries["images/sunset.png"]
    assert remote.items[entry.remote_id].content == target.read_bytes()
    named = [s for s in remote.files() if s.item.name == "sunset.png"]
    assert len(named) == 1


async def test_an_unexpected_error_fails_one_file_not_the_run(
    media: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    remote.fail_next("upload", ValueError("Forbidden control character"))
    report = await sync(media, remote, store)
    assert report.failed == 1
    assert "unexpected error (ValueError: Forbidden control character)" in report.outcomes[0].reason
    assert len(remote.files()) == len(example_files()) - 1


async def test_a_folder_whose_creation_answer_was_lost_is_not_made_twice(
    media: Path, store: StateStore
) -> None:
    remote = MemoryLibrary()
    lost = RetryableError("POST /medias/folder: connection failed (ServerDisconnectedError)")
    remote.fail_next("create_folder", lost, after_store=True)
    report = await sync(media, remote, store)
    assert report.failed == 0
    folders = [s.item.name for s in remote.items.values() if s.item.is_folder]
    assert sorted(folders) == sorted(set(folders))


async def test_a_pass_with_nothing_to_send_makes_no_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    remote = MemoryLibrary()
    store = StateStore.open(tmp_path / "state.db", "loc")
    report = await run_sync(options(empty, Sleeps()), remote, store)
    assert report.outcomes == [] and report.failed == 0
    assert "create_folder" not in remote.calls and remote.items == {}
