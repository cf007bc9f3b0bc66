"""Renames and moves: the planner pairs them by table (each row twice), the engine renames in
place when the bytes match (the hosted URL stays), and sends anew when they do not or when the
file went to another folder; end to end, the manifest keeps the URL across a rename."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mediasync.cli import main
from mediasync.engine import run_sync
from mediasync.errors import RetryableError
from mediasync.models import (
    MISSING,
    LocalFile,
    LocalSnapshot,
    OutcomeKind,
    StateEntry,
    SyncState,
)
from mediasync.plan import Policy, plan, plan_paths
from mediasync.remote.memory import MemoryLibrary
from mediasync.report import summary_line
from mediasync.sandbox import BackgroundSandbox, SandboxConfig
from mediasync.state import StateStore
from tests.helpers import png_bytes
from tests.test_engine import Sleeps, options


def entry(path: str, size: int, sha: str | None = "h", status: str = "synced") -> StateEntry:
    return StateEntry(path, size, 1, sha, f"id-{path}", f"u/{path}", None, 1.0, status)


def pairs(found: LocalSnapshot, recorded: list[StateEntry]) -> tuple[object, ...]:
    result = plan(found, SyncState.of(recorded), Policy(force=True))
    return (
        tuple(
            (a.kind.value, a.previous.path if a.previous else None, a.path) for a in result.uploads
        ),
        tuple((a.kind.value, a.path) for a in result.deletes),
    )


CASES = [
    (
        "same folder, size and extension: a rename",
        [LocalFile("a/new.png", 5, 2)],
        [entry("a/old.png", 5)],
        ((("rename", "a/old.png", "a/new.png"),), ()),
    ),
    (
        "a case-only rename",
        [LocalFile("Photo.png", 5, 2)],
        [entry("photo.PNG", 5)],
        ((("rename", "photo.PNG", "Photo.png"),), ()),
    ),
    (
        "same name and size in another folder: a move",
        [LocalFile("b/x.png", 5, 2)],
        [entry("a/x.png", 5)],
        ((("move", "a/x.png", "b/x.png"),), ()),
    ),
    (
        "another size is another file",
        [LocalFile("a/new.png", 6, 2)],
        [entry("a/old.png", 5)],
        ((("upload", None, "a/new.png"),), (("delete", "a/old.png"),)),
    ),
    (
        "another extension is another file",
        [LocalFile("a/new.jpg", 5, 2)],
        [entry("a/old.png", 5)],
        ((("upload", None, "a/new.jpg"),), (("delete", "a/old.png"),)),
    ),
    (
        "two candidates: no guess",
        [LocalFile("a/n1.png", 5, 2), LocalFile("a/n2.png", 5, 2)],
        [entry("a/old.png", 5)],
        (
            (("upload", None, "a/n1.png"), ("upload", None, "a/n2.png")),
            (("delete", "a/old.png"),),
        ),
    ),
    (
        "no recorded hash: nothing to compare, no pairing",
        [LocalFile("a/new.png", 5, 2)],
        [entry("a/old.png", 5, sha=None)],
        ((("upload", None, "a/new.png"),), (("delete", "a/old.png"),)),
    ),
    (
        "a copy already gone from the library is not renamed",
        [LocalFile("a/new.png", 5, 2)],
        [entry("a/old.png", 5, status=MISSING)],
        ((("upload", None, "a/new.png"),), (("delete", "a/old.png"),)),
    ),
    (
        "a rename in the folder wins over a move from elsewhere",
        [LocalFile("a/x.png", 5, 2)],
        [entry("a/old.png", 5), entry("b/x.png", 5)],
        ((("rename", "a/old.png", "a/x.png"),), (("delete", "b/x.png"),)),
    ),
]


@pytest.mark.parametrize(
    ("files", "recorded", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_pairing(files: list[LocalFile], recorded: list[StateEntry], expected: object) -> None:
    found = LocalSnapshot.of(files)
    for _ in range(2):
        assert pairs(found, recorded) == expected


def test_the_watcher_plan_pairs_a_rename_too() -> None:
    looks: dict[str, LocalFile | None] = {
        "a/old.png": None,
        "a/new.png": LocalFile("a/new.png", 5, 2),
    }
    result = plan_paths(looks, SyncState.of([entry("a/old.png", 5)]), Policy(), known=1)
    assert [(a.kind.value, a.path) for a in result.uploads] == [("rename", "a/new.png")]
    assert result.deletes == () and result.delete_blocked is None


# -- the engine with the in-memory twin ------------------------------------------------------


@pytest.fixture
def synced(tmp_path: Path) -> tuple[Path, MemoryLibrary, StateStore]:
    root = tmp_path / "media"
    (root / "a").mkdir(parents=True)
    for i in range(4):
        (root / "a" / f"pic-{i}.png").write_bytes(png_bytes(4 + i, 4))
    return root, MemoryLibrary(), StateStore.open(root / ".mediasync" / "state.db", "loc1")


async def test_a_rename_keeps_the_id_and_url(
    synced: tuple[Path, MemoryLibrary, StateStore],
) -> None:
    root, remote, store = synced
    await run_sync(options(root, Sleeps()), remote, store)
    before = store.snapshot().entries["a/pic-0.png"]
    os.rename(root / "a" / "pic-0.png", root / "a" / "hero.png")
    remote.calls.clear()
    report = await run_sync(options(root, Sleeps()), remote, store)
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.RENAMED and "its URL stays" in outcome.reason
    after = store.snapshot().entries
    assert "a/pic-0.png" not in after
    assert (after["a/hero.png"].remote_id, after["a/hero.png"].url) == (
        before.remote_id,
        before.url,
    )
    assert remote.items[before.remote_id].item.name == "hero.png"
    assert "upload" not in remote.calls and "delete" not in remote.calls


async def test_a_rename_with_new_bytes_is_sent_anew(
    synced: tuple[Path, MemoryLibrary, StateStore],
) -> None:
    root, remote, store = synced
    await run_sync(options(root, Sleeps()), remote, store)
    before = store.snapshot().entries["a/pic-1.png"]
    old = root / "a" / "pic-1.png"
    data = bytearray(old.read_bytes())
    data[-5] ^= 0xFF  # same size, other bytes
    old.unlink()
    (root / "a" / "other.png").write_bytes(bytes(data))
    report = await run_sync(options(root, Sleeps()), remote, store)
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.UPLOADED
    # A rename in place, not a move: it says why it got a new URL.
    assert outcome.reason == (
        "renamed from a/pic-1.png with new content: uploaded anew and the old copy deleted; "
        "its URL changed"
    )
    line = summary_line(report)
    assert "1 renamed (new URL)" in line and "moved" not in line
    assert before.remote_id not in {f.item.id for f in remote.files()}
    assert sorted(store.snapshot().entries) == [
        "a/other.png",
        "a/pic-0.png",
        "a/pic-2.png",
        "a/pic-3.png",
    ]


async def test_a_rename_whose_old_copy_is_gone_from_the_library_says_so(
    synced: tuple[Path, MemoryLibrary, StateStore],
) -> None:
    root, remote, store = synced
    await run_sync(options(root, Sleeps()), remote, store)
    before = store.snapshot().entries["a/pic-3.png"]
    await remote.delete(before.remote_id)  # deleted in the web app
    os.rename(root / "a" / "pic-3.png", root / "a" / "last.png")
    report = await run_sync(options(root, Sleeps()), remote, store)
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.UPLOADED
    assert outcome.reason == (
        "renamed from a/pic-3.png, whose copy was no longer in the library: uploaded anew; "
        "its URL changed"
    )
    assert store.snapshot().entries["a/last.png"].url != before.url


async def test_a_move_uploads_into_the_new_folder_then_deletes_and_says_so(
    synced: tuple[Path, MemoryLibrary, StateStore],
) -> None:
    root, remote, store = synced
    await run_sync(options(root, Sleeps()), remote, store)
    before = store.snapshot().entries["a/pic-2.png"]
    (root / "b").mkdir()
    os.rename(root / "a" / "pic-2.png", root / "b" / "pic-2.png")
    remote.calls.clear()
    report = await run_sync(options(root, Sleeps()), remote, store)
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.UPLOADED
    assert "moved from a/pic-2.png" in outcome.reason and "cannot move" in outcome.reason
    # The new copy stood before the old one went.
    assert remote.calls.index("upload") < remote.calls.index("delete")
    after = store.snapshot().entries["b/pic-2.png"]
    assert after.remote_id != before.remote_id and after.url != before.url
    assert "a/pic-2.png" not in store.snapshot().entries


# -- end to end: the manifest keeps the URL ---------------------------------------------------


def test_a_rename_keeps_the_url_in_the_manifest(tmp_path: Path) -> None:
    server = BackgroundSandbox(SandboxConfig(token="t-rename", location_id="RenameLoc"))
    try:
        root = tmp_path / "media"
        root.mkdir()
        (root / "logo.png").write_bytes(png_bytes(9, 9))
        (root / "keep.png").write_bytes(png_bytes(3, 3))
        config = tmp_path / "mediasync.toml"
        config.write_text(
            f'[remote]\nlocation_id = "RenameLoc"\nbase_url = "{server.base_url}"\n\n'
            '[local]\npath = "media"\n'
        )

        def cli(*args: str) -> str:
            result = CliRunner().invoke(
                main, [args[0], "-c", str(config), *args[1:]], env={"MEDIASYNC_TOKEN": "t-rename"}
            )
            assert result.exit_code == 0, result.output
            return result.stdout

        cli("sync")
        before = {r["path"]: r["url"] for r in json.loads(cli("manifest"))}
        os.rename(root / "logo.png", root / "brand-logo.png")
        output = cli("sync", "-v")
        assert "renamed brand-logo.png" in output and "1 renamed (URL kept)" in output
        after = {r["path"]: r["url"] for r in json.loads(cli("manifest"))}
        assert after == {"brand-logo.png": before["logo.png"], "keep.png": before["keep.png"]}
        names = sorted(f.path for f in server.library.files())
        assert names == ["mediasync/brand-logo.png", "mediasync/keep.png"]
        assert server.library.stats()["uploads"] == 2

        # Same size, other bytes: the preview cannot promise the URL stays, and the sync
        # says it renamed with new content (not "moved").
        data = bytearray((root / "brand-logo.png").read_bytes())
        data[-5] ^= 0xFF
        (root / "brand-logo.png").unlink()
        (root / "logo-v2.png").write_bytes(bytes(data))
        status = cli("status")
        assert "brand-logo.png → logo-v2.png" in status
        assert "the URL stays if the content is unchanged (checked when it is sent)" in status
        dry = cli("sync", "--dry-run")
        assert (
            "would rename brand-logo.png → logo-v2.png (the URL stays if the content is "
            "unchanged, checked when it is sent)" in dry
        )
        output = cli("sync", "-v")
        assert (
            "renamed logo-v2.png → " in output
            and "(renamed from brand-logo.png with new content: uploaded anew and the old copy "
            "deleted; its URL changed)" in output
        )
        assert "1 renamed (new URL)" in output and "moved" not in output
        latest = {r["path"]: r["url"] for r in json.loads(cli("manifest"))}
        assert latest["logo-v2.png"] != before["logo.png"]
    finally:
        server.stop()


async def test_a_move_whose_old_copy_could_not_be_deleted_does_not_claim_it_was(
    synced: tuple[Path, MemoryLibrary, StateStore],
) -> None:
    root, remote, store = synced
    await run_sync(options(root, Sleeps()), remote, store)
    (root / "b").mkdir()
    os.rename(root / "a" / "pic-0.png", root / "b" / "pic-0.png")
    for _ in range(4):  # every attempt the retry policy allows
        remote.fail_next("delete", RetryableError("503 Service Unavailable", 503))
    report = await run_sync(options(root, Sleeps()), remote, store)
    (outcome,) = report.outcomes
    assert outcome.stale_id is not None
    assert "the old copy is deleted on the next pass" in outcome.reason
    assert "old copy deleted" not in outcome.reason
