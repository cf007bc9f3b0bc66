"""Names as users write them: exact multipart bytes, Unicode forms, case-only renames."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Literal

import pytest
from aiohttp import BodyPartReader, web
from aiohttp.test_utils import TestServer

from mediasync.config import MaxDelete, Secret
from mediasync.engine import SyncOptions, run_sync
from mediasync.models import LocalFile, LocalSnapshot, StateEntry, SyncState
from mediasync.plan import Policy, plan, plan_paths
from mediasync.remote.http import HttpLibrary
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from mediasync.state import StateStore
from tests.helpers import png_bytes
from tests.samples import HOSTILE

Capture = dict[str, object]


async def upload_raw(tmp_path: Path, name: str) -> Capture:
    """Upload one file named `name` to a loopback server that keeps the raw body."""
    captured: Capture = {}

    async def handler(request: web.Request) -> web.Response:
        raw = await request.read()
        captured["raw"] = raw
        captured["boundary"] = request.content_type and request.headers["Content-Type"]
        return web.json_response({"fileId": "f" * 24, "url": "https://cdn/x"}, status=201)

    app = web.Application()
    app.router.add_post("/medias/upload-file", handler)
    async with TestServer(app) as server:
        client = HttpLibrary(str(server.make_url("")), Secret("t"), "loc", "2021-07-28", 10)
        try:
            source = tmp_path / name
            source.write_bytes(png_bytes())
            await client.upload(source, source.stat().st_size, name, None, "image/png")
        finally:
            await client.aclose()
    return captured


async def test_the_multipart_header_bytes_are_exactly_these(tmp_path: Path) -> None:
    name = 'say "hi"; 100% [v2] 🎉.png'
    raw = (await upload_raw(tmp_path, name))["raw"]
    assert isinstance(raw, bytes)
    file_part = (
        b'Content-Disposition: form-data; name="file"; '
        b'filename="say \\"hi\\"; 100% [v2] \xf0\x9f\x8e\x89.png"\r\n'
    )
    name_part = (
        b'Content-Disposition: form-data; name="name"\r\n\r\n'
        b'say "hi"; 100% [v2] \xf0\x9f\x8e\x89.png\r\n'
    )
    assert file_part in raw
    assert name_part in raw
    assert b"Content-Type: image/png\r\n" in raw


@pytest.mark.parametrize("name", HOSTILE)
async def test_hostile_names_arrive_intact(name: str, tmp_path: Path) -> None:
    if len(name.encode()) > os.pathconf(tmp_path, "PC_NAME_MAX"):
        pytest.skip("this file system allows shorter names")
    received: dict[str, str | None] = {}

    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            if part.name == "file":
                received["filename"] = part.filename
                await part.read()
            else:
                received[part.name or ""] = (await part.read()).decode()
        return web.json_response({"fileId": "f" * 24, "url": "https://cdn/x"})

    app = web.Application()
    app.router.add_post("/medias/upload-file", handler)
    async with TestServer(app) as server:
        client = HttpLibrary(str(server.make_url("")), Secret("t"), "loc", "2021-07-28", 10)
        try:
            source = tmp_path / name
            source.write_bytes(png_bytes())
            await client.upload(source, source.stat().st_size, name, None, "image/png")
        finally:
            await client.aclose()
    assert received["name"] == name
    assert received["filename"] == name


def snapshot(*paths: str) -> LocalSnapshot:
    return LocalSnapshot.of([LocalFile(p, 5, 1) for p in paths])


def recorded(*paths: str) -> SyncState:
    return SyncState.of([StateEntry(p, 5, 1, "h", f"id-{p}", "u", None, 1.0) for p in paths])


@pytest.mark.parametrize(("first", "other"), [("NFC", "NFD"), ("NFD", "NFC")])
def test_one_state_key_whatever_the_normalization_form(
    first: Literal["NFC", "NFD"], other: Literal["NFC", "NFD"]
) -> None:
    recorded_as = unicodedata.normalize(first, "docs/Résumé Café.pdf")
    on_disk = unicodedata.normalize(other, "docs/Résumé Café.pdf")
    assert recorded_as != on_disk
    for _ in range(2):
        result = plan(snapshot(on_disk), recorded(recorded_as), Policy())
        assert result.uploads == () and result.deletes == ()
        assert result.unchanged == 1
        assert result.rekeys == ((recorded_as, on_disk),)


def test_rekey_needs_the_old_spelling_gone_from_disk() -> None:
    nfc = unicodedata.normalize("NFC", "Café.png")
    nfd = unicodedata.normalize("NFD", "Café.png")
    result = plan(snapshot(nfc), recorded(nfc), Policy())
    assert result.rekeys == () and result.unchanged == 1
    assert nfd != nfc


def options(root: Path, policy: Policy | None = None) -> SyncOptions:
    async def no_sleep(_: float) -> None:
        return None

    return SyncOptions(
        root=root,
        root_folder="m",
        ignore=(),
        state_dir=root / ".mediasync",
        concurrency=2,
        policy=policy or Policy(),
        retry=RetryPolicy(attempts=2, sleep=no_sleep),
        clock=lambda: 1_700_000_000.0,
    )


async def test_a_file_renamed_to_another_unicode_form_keeps_its_remote_copy(
    tmp_path: Path,
) -> None:
    root = tmp_path / "media"
    root.mkdir()
    nfd = unicodedata.normalize("NFD", "Café.png")
    (root / nfd).write_bytes(png_bytes())
    remote = MemoryLibrary()
    store = StateStore.open(root / ".mediasync" / "state.db", "loc")
    await run_sync(options(root), remote, store)
    (first,) = remote.files()
    nfc = unicodedata.normalize("NFC", "Café.png")
    os.rename(root / nfd, root / nfc)  # as a copy from macOS to Linux may spell it
    remote.calls.clear()
    report = await run_sync(options(root), remote, store)
    assert "upload" not in remote.calls and "delete" not in remote.calls
    assert report.plan.rekeys == ((nfd, nfc),)
    assert list(store.snapshot().entries) == [nfc]
    assert [f.item.id for f in remote.files()] == [first.item.id]


async def test_a_case_only_rename_settles_in_one_run(tmp_path: Path) -> None:
    root = tmp_path / "media"
    root.mkdir()
    (root / "Photo.PNG").write_bytes(png_bytes())
    remote = MemoryLibrary()
    store = StateStore.open(root / ".mediasync" / "state.db", "loc")
    await run_sync(options(root), remote, store)
    (first,) = remote.files()
    os.rename(root / "Photo.PNG", root / "photo.png")
    # A rename, not a delete: even the default delete guard (50% of one file) lets it through.
    remote.calls.clear()
    report = await run_sync(options(root), remote, store)
    assert [(o.kind.value, o.path) for o in report.outcomes] == [("renamed", "photo.png")]
    assert [(f.item.id, f.item.name) for f in remote.files()] == [(first.item.id, "photo.png")]
    assert "upload" not in remote.calls and "delete" not in remote.calls
    assert list(store.snapshot().entries) == ["photo.png"]
    everything = Policy(max_delete=MaxDelete(percent=100))
    for _ in range(2):
        remote.calls.clear()
        again = await run_sync(options(root, everything), remote, store)
        assert again.outcomes == [] and again.plan.uploads == () and again.plan.deletes == ()
        assert "upload" not in remote.calls and "delete" not in remote.calls


def test_the_watcher_plan_rekeys_a_respelled_name_too() -> None:
    nfd = unicodedata.normalize("NFD", "Café.png")
    nfc = unicodedata.normalize("NFC", "Café.png")
    looks: dict[str, LocalFile | None] = {nfd: None, nfc: LocalFile(nfc, 5, 1)}
    for _ in range(2):
        result = plan_paths(looks, recorded(nfd), Policy(), known=1)
        assert result.rekeys == ((nfd, nfc),)
        assert result.uploads == () and result.deletes == () and result.unchanged == 1
