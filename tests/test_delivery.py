"""Ambiguous upload failures: the copy a lost answer left behind is adopted, never doubled,
and a copy that cannot be proved ours is never taken over nor deleted."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mediasync.delivery import Parcel, deliver
from mediasync.errors import RetryableError
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from tests.helpers import png_bytes
from tests.test_engine import Sleeps


def parcel(tmp_path: Path, folder_id: str | None = None) -> Parcel:
    path = tmp_path / "logo.png"
    path.write_bytes(png_bytes())
    return Parcel(path, path.stat().st_size, "logo.png", folder_id, "image/png")


def twin() -> MemoryLibrary:
    """A memory library dating its items by the clock these tests hand to deliver()."""
    return MemoryLibrary(clock=lambda: 1e9)


def policy(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(attempts=5, sleep=sleeps, clock=lambda: 0.0)


def lost_answer() -> RetryableError:
    return RetryableError("POST /medias/upload-file: connection failed (ServerDisconnectedError)")


async def test_stored_upload_with_a_lost_answer_is_adopted(tmp_path: Path) -> None:
    remote = twin()
    remote.fail_next("upload", lost_answer(), after_store=True)
    result = await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    (stored,) = remote.files()
    assert result.remote_id == stored.item.id
    assert remote.calls == ["upload", "list_items", "hosted_sha256"]


async def test_several_stored_copies_leave_one(tmp_path: Path) -> None:
    remote = twin()
    # Earlier attempts whose answers were lost, as a lagging listing would reveal them later.
    first = remote.add_foreign("logo.png", png_bytes())
    second = remote.add_foreign("logo.png", png_bytes())
    remote.fail_next("upload", lost_answer())
    result = await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    assert result.remote_id == first
    assert remote.items[second].deleted
    assert [s.item.id for s in remote.files()] == [first]


async def test_failure_that_stored_nothing_uploads_again(tmp_path: Path) -> None:
    remote = twin()
    remote.fail_next("upload", RetryableError("502 Bad Gateway", 502))
    sleeps = Sleeps()
    await deliver(remote, parcel(tmp_path), policy(sleeps), lambda: 1e9, frozenset())
    assert len(remote.files()) == 1
    assert remote.calls == ["upload", "list_items", "upload"]  # no copy named so: no fetch
    assert len(sleeps.waits) == 1


async def test_unambiguous_failures_do_not_list(tmp_path: Path) -> None:
    remote = twin()
    remote.fail_next("upload", RetryableError("cannot connect", None, ambiguous=False))
    await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    assert remote.calls == ["upload", "upload"]


async def test_a_copy_some_recorded_file_owns_is_never_adopted(tmp_path: Path) -> None:
    remote = twin()
    owned = remote.add_foreign("logo.png", png_bytes(2, 2))
    remote.fail_next("upload", RetryableError("502 Bad Gateway", 502))
    result = await deliver(
        remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset({owned})
    )
    assert result.remote_id != owned
    assert not remote.items[owned].deleted
    assert len(remote.files()) == 2


async def test_copies_older_than_the_first_attempt_are_not_ours(tmp_path: Path) -> None:
    remote = MemoryLibrary()
    older = remote.add_foreign("logo.png", png_bytes(2, 2))
    remote.fail_next("upload", RetryableError("502 Bad Gateway", 502))
    # The memory twin stamps items in 2026; an attempt "started" in 2030 is newer than them.
    result = await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1.9e9, frozenset())
    assert result.remote_id != older
    assert not remote.items[older].deleted


async def test_someone_elses_file_of_the_same_name_is_never_taken_over(tmp_path: Path) -> None:
    remote = twin()
    theirs = remote.add_foreign("logo.png", b"\x89PNG their own picture")
    remote.fail_next("upload", lost_answer())
    result = await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    assert result.remote_id != theirs
    assert not remote.items[theirs].deleted
    assert remote.items[result.remote_id].content == png_bytes()


async def test_an_extra_copy_with_other_bytes_is_left_alone(tmp_path: Path) -> None:
    remote = twin()
    ours = remote.add_foreign("logo.png", png_bytes())
    theirs = remote.add_foreign("logo.png", png_bytes(3, 3))
    remote.fail_next("upload", lost_answer())
    result = await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    assert result.remote_id == ours
    assert not remote.items[theirs].deleted


@pytest.mark.parametrize("unprovable", ["created_at", "url"], ids=["undated", "no-url"])
async def test_a_copy_that_cannot_be_proved_ours_is_left_alone(
    tmp_path: Path, unprovable: str
) -> None:
    remote = twin()
    copy = remote.add_foreign("logo.png", png_bytes())
    item = remote.items[copy].item
    remote.items[copy].item = (
        replace(item, created_at=None) if unprovable == "created_at" else replace(item, url=None)
    )
    remote.fail_next("upload", lost_answer())
    result = await deliver(remote, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    assert result.remote_id != copy
    assert not remote.items[copy].deleted


async def test_a_copy_made_after_our_attempts_could_have_is_not_ours(tmp_path: Path) -> None:
    later = MemoryLibrary(clock=lambda: 1e9 + 60)  # a colleague's identical upload, later
    theirs = later.add_foreign("logo.png", png_bytes())
    later.fail_next("upload", lost_answer())
    result = await deliver(later, parcel(tmp_path), policy(Sleeps()), lambda: 1e9, frozenset())
    assert result.remote_id != theirs
    assert not later.items[theirs].deleted
