"""One contract, two remotes: the in-memory twin and the HTTP client talking to the sandbox on
loopback must behave alike for everything the engine relies on."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from mediasync.config import Secret
from mediasync.delivery import DATE_MARGIN_S
from mediasync.errors import AuthError, NotFoundError, RejectedError
from mediasync.remote import RemoteLibrary, walk_tree
from mediasync.remote.http import HttpLibrary
from mediasync.remote.memory import MemoryLibrary
from mediasync.sandbox import LIBRARY, SandboxConfig, create_app
from tests.helpers import EXAMPLES, png_bytes

Fetch = Callable[[str], Awaitable[bytes]]


@dataclass
class Subject:
    remote: RemoteLibrary
    fetch: Fetch


@pytest.fixture(params=["memory", "http+sandbox"])
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    if request.param == "memory":
        memory = MemoryLibrary(clock=time.time)

        async def fetch_memory(url: str) -> bytes:
            remote_id = url.rsplit("/", 1)[1].split(".")[0]
            return memory.items[remote_id].content

        yield Subject(memory, fetch_memory)
        return
    config = SandboxConfig(clock=lambda: 1_796_000_000.0)
    server = TestServer(create_app(config))
    await server.start_server()
    client = HttpLibrary(str(server.make_url("")), Secret(config.token), config.location_id)
    session = aiohttp.ClientSession()

    async def fetch_http(url: str) -> bytes:
        async with session.get(url) as response:
            assert response.status == 200
            return await response.read()

    try:
        yield Subject(client, fetch_http)
    finally:
        await session.close()
        await client.aclose()
        await server.close()


async def test_access_check_passes(subject: Subject) -> None:
    await subject.remote.check_access()


async def test_upload_then_list_and_fetch(subject: Subject, tmp_path: Path) -> None:
    source = EXAMPLES / "images" / "sunset.png"
    remote = subject.remote
    result = await remote.upload(source, source.stat().st_size, "sunset.png", None, "image/png")
    assert len(result.remote_id) == 24
    assert result.size == source.stat().st_size
    listed = await remote.list_items(None, folders=False)
    assert [(i.id, i.name, i.is_folder) for i in listed] == [
        (result.remote_id, "sunset.png", False)
    ]
    assert listed[0].url == result.url
    assert await subject.fetch(result.url) == source.read_bytes()


async def test_a_hosted_url_is_fingerprinted_by_its_bytes(subject: Subject) -> None:
    source = EXAMPLES / "images" / "sunset.png"
    remote = subject.remote
    result = await remote.upload(source, source.stat().st_size, "sunset.png", None, "image/png")
    assert await remote.hosted_sha256(result.url) == result.sha256
    await remote.delete(result.remote_id)
    assert await remote.hosted_sha256(result.url) is None


async def test_a_new_copy_is_dated_now_by_the_services_clock(subject: Subject) -> None:
    source = EXAMPLES / "images" / "sunset.png"
    remote = subject.remote
    await remote.upload(source, source.stat().st_size, "sunset.png", None, "image/png")
    (item,) = await remote.list_items(None, folders=False)
    offset = remote.server_clock_offset()
    assert offset is not None and item.created_at is not None
    created = datetime.fromisoformat(item.created_at.replace("Z", "+00:00")).timestamp()
    assert abs(created - (time.time() + offset)) <= DATE_MARGIN_S


async def test_folders_nest_and_hold_files(subject: Subject, tmp_path: Path) -> None:
    remote = subject.remote
    top = await remote.create_folder("campaigns", None)
    inner = await remote.create_folder("spring 2026", top.id)
    source = tmp_path / "photo.png"
    source.write_bytes(png_bytes())
    await remote.upload(source, source.stat().st_size, "Café 🎉.png", inner.id, "image/png")
    tree = [(path, item.is_folder) for path, item in await walk_tree(remote)]
    assert tree == [
        ("campaigns", True),
        ("campaigns/spring 2026", True),
        ("campaigns/spring 2026/Café 🎉.png", False),
    ]
    assert await remote.list_items(None, folders=False) == []


async def test_same_name_twice_makes_two_objects(subject: Subject, tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(png_bytes())
    first = await subject.remote.upload(source, source.stat().st_size, "a.png", None, "image/png")
    second = await subject.remote.upload(source, source.stat().st_size, "a.png", None, "image/png")
    assert first.remote_id != second.remote_id
    assert len(await subject.remote.list_items(None, folders=False)) == 2


async def test_delete_hides_and_second_delete_is_not_found(
    subject: Subject, tmp_path: Path
) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(png_bytes())
    result = await subject.remote.upload(source, source.stat().st_size, "a.png", None, "image/png")
    await subject.remote.delete(result.remote_id)
    assert await subject.remote.list_items(None, folders=False) == []
    with pytest.raises(NotFoundError):
        await subject.remote.delete(result.remote_id)


async def test_rename_keeps_the_id_and_the_hosted_url(subject: Subject, tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(png_bytes())
    result = await subject.remote.upload(source, source.stat().st_size, "a.png", None, "image/png")
    await subject.remote.rename(result.remote_id, "b é.png")
    (item,) = await subject.remote.list_items(None, folders=False)
    assert (item.id, item.name, item.url) == (result.remote_id, "b é.png", result.url)
    assert await subject.fetch(result.url) == png_bytes()
    await subject.remote.delete(result.remote_id)
    with pytest.raises(NotFoundError):
        await subject.remote.rename(result.remote_id, "c.png")


async def test_disallowed_type_is_rejected(subject: Subject, tmp_path: Path) -> None:
    source = tmp_path / "tool.exe"
    source.write_bytes(b"MZ" + b"\x00" * 100)
    with pytest.raises(RejectedError, match="not allowed"):
        await subject.remote.upload(source, 102, "tool.exe", None, "application/octet-stream")


async def test_oversize_is_rejected(subject: Subject, tmp_path: Path) -> None:
    source = tmp_path / "big.png"
    with source.open("wb") as handle:
        handle.write(png_bytes())
        handle.truncate(25 * 1024 * 1024 + 1)
    with pytest.raises(RejectedError, match="413"):
        await subject.remote.upload(source, source.stat().st_size, "big.png", None, "image/png")


async def test_upload_into_a_missing_folder_is_rejected(subject: Subject, tmp_path: Path) -> None:
    source = tmp_path / "a.png"
    source.write_bytes(png_bytes())
    with pytest.raises(RejectedError):
        await subject.remote.upload(source, source.stat().st_size, "a.png", "0" * 24, "image/png")


async def test_http_client_with_a_wrong_token_is_fatal() -> None:
    config = SandboxConfig(clock=lambda: 1_796_000_000.0)
    server = TestServer(create_app(config))
    await server.start_server()
    client = HttpLibrary(str(server.make_url("")), Secret("pit-wrong"), config.location_id)
    try:
        with pytest.raises(AuthError, match="token was refused"):
            await client.check_access()
        wrong_place = HttpLibrary(str(server.make_url("")), Secret(config.token), "elsewhere")
        try:
            with pytest.raises(AuthError, match="must belong to location elsewhere"):
                await wrong_place.check_access()
        finally:
            await wrong_place.aclose()
        assert server.app is not None
        assert server.app[LIBRARY].stats()["uploads"] == 0
    finally:
        await client.aclose()
        await server.close()
