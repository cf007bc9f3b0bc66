"""HttpLibrary against hand-made servers on loopback: what it sends, and how it reads the
service's many answer shapes (any 2xx, `_id`/`id`, HTML error pages, lowercase headers)."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import BodyPartReader, web
from aiohttp.test_utils import TestServer

from mediasync.config import Secret
from mediasync.errors import (
    AuthError,
    BudgetExhaustedError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    RetryableError,
)
from mediasync.ratelimit import RateLimiter
from mediasync.remote.http import HttpLibrary
from tests.helpers import Clock

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TOKEN = "pit-11111111-2222-3333-4444-555555555555"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[HttpLibrary]]]:
    servers: list[TestServer] = []
    clients: list[HttpLibrary] = []

    async def start(handler: Handler) -> HttpLibrary:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        client = HttpLibrary(str(server.make_url("")), Secret(TOKEN), "loc1")
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.aclose()
    for server in servers:
        await server.close()


def answer(
    status: int, body: str, content_type: str = "application/json", **headers: str
) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body, content_type=content_type, headers=headers)

    return handler


async def test_list_sends_every_required_param_and_header(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    seen: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        item = {"_id": "a" * 24, "name": "x.png", "type": "file", "parentId": "f1"}
        return web.json_response({"files": [item] if request.query["offset"] == "0" else []})

    client = await serve(handler)
    items = await client.list_items("f1", folders=False)
    request = seen[0]
    assert request.path == "/medias/files"
    assert dict(request.query) == {
        "altType": "location",
        "altId": "loc1",
        "sortBy": "createdAt",
        "sortOrder": "asc",
        "type": "file",
        "offset": "0",
        "limit": "100",
        "parentId": "f1",
    }
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Version"] == "2021-07-28"
    assert [i.id for i in items] == ["a" * 24]


async def test_list_pages_until_a_short_page_and_reads_any_id_key(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    async def handler(request: web.Request) -> web.Response:
        offset = int(request.query["offset"])
        files: list[dict[str, object]]
        if offset == 0:
            files = [{"_id": f"{n:024x}", "name": f"{n}.png", "type": "file"} for n in range(100)]
        else:
            files = [{"id": "b" * 24, "name": "last.png"}, {"_id": "c" * 24, "deleted": True}]
        return web.json_response({"files": files})

    client = await serve(handler)
    items = await client.list_items(None, folders=False)
    assert len(items) == 101
    assert items[-1].id == "b" * 24


async def test_list_learns_a_page_cap_below_what_it_asks_for(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    calls: list[str] = []
    folders = {"big": [f"{n:024x}" for n in range(12)], "small": ["f" * 24, "e" * 24]}

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.query["parentId"])
        ids = folders[request.query["parentId"]]
        offset = int(request.query["offset"])
        page = ids[offset : offset + 5]  # the server silently caps every page at 5
        return web.json_response({"files": [{"_id": i, "name": "n"} for i in page]})

    client = await serve(handler)
    assert len(await client.list_items("big", folders=False)) == 12
    assert calls.count("big") == 3
    assert len(await client.list_items("small", folders=False)) == 2
    assert calls.count("small") == 1


async def test_list_stops_when_the_server_repeats_a_page(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return web.json_response({"files": [{"_id": f"{n:024x}", "name": "x"} for n in range(100)]})

    client = await serve(handler)
    assert len(await client.list_items(None, folders=False)) == 100
    assert calls == 2


async def test_list_ignores_items_from_another_folder(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    # The live service has been seen to ignore parentId and answer with the root.
    files = [{"_id": "a" * 24, "name": "root.png", "parentId": None}]
    client = await serve(answer(200, __import__("json").dumps({"files": files})))
    assert await client.list_items("f1", folders=False) == []


@pytest.mark.parametrize("status", [200, 201])
async def test_upload_accepts_any_2xx_and_streams_multipart(
    status: int, serve: Callable[[Handler], Awaitable[HttpLibrary]], tmp_path: Path
) -> None:
    received: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        received["content_type"] = request.headers["Content-Type"]
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            received[part.name or ""] = (
                await part.read(),
                part.filename,
                part.headers.get("Content-Type"),
            )
        return web.json_response({"fileId": "d" * 24, "url": "https://cdn/x.png"}, status=status)

    client = await serve(handler)
    source = tmp_path / "Café 🎉.png"
    source.write_bytes(b"\x89PNG\r\n\x1a\n" + b"z" * 5000)
    result = await client.upload(source, source.stat().st_size, source.name, "f1", "image/png")
    assert str(received["content_type"]).startswith("multipart/form-data; boundary=")
    assert received["name"][0] == "Café 🎉.png".encode()  # type: ignore[index]
    assert received["parentId"][0] == b"f1"  # type: ignore[index]
    assert received["hosted"][0] == b"false"  # type: ignore[index]
    assert received["file"] == (source.read_bytes(), "Café 🎉.png", "image/png")
    assert (result.remote_id, result.url, result.size) == ("d" * 24, "https://cdn/x.png", 5008)


async def test_upload_memory_stays_flat_for_a_large_file(
    serve: Callable[[Handler], Awaitable[HttpLibrary]], tmp_path: Path
) -> None:
    async def handler(request: web.Request) -> web.Response:
        total = 0
        while chunk := await request.content.read(65536):
            total += len(chunk)
        return web.json_response({"fileId": "e" * 24, "url": f"https://cdn/{total}"}, status=201)

    client = await serve(handler)
    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(24 * 1024 * 1024)
    tracemalloc.start()
    try:
        result = await client.upload(big, big.stat().st_size, "big.mp4", None, "video/mp4")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert int(result.url.rsplit("/", 1)[1]) > 24 * 1024 * 1024
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes while sending 24 MB"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "text"),
    [
        (
            502,
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
            RetryableError,
            "502 Bad Gateway",
        ),
        (
            503,
            "<html>Service Unavailable</html>",
            "text/html",
            RetryableError,
            "Service Unavailable",
        ),
        (
            500,
            '{"statusCode":500,"message":"Internal server error"}',
            "application/json",
            RetryableError,
            "Internal",
        ),
        (401, "Command timed out", "text/plain", RetryableError, "Command timed out"),
        (
            401,
            '{"statusCode":401,"message":"Invalid token: access token is invalid",'
            '"error":"Unauthorized"}',
            "application/json",
            AuthError,
            "Invalid token",
        ),
        (
            403,
            '{"statusCode":403,"message":"The token does not have access to this location."}',
            "application/json",
            AuthError,
            "medias.write",
        ),
        (404, "", "text/plain", NotFoundError, "404"),
        (
            422,
            '{"statusCode":422,"message":["type should not be empty","sortBy must be a string"]}',
            "application/json",
            RejectedError,
            "type should not be empty; sortBy must be a string",
        ),
        (
            413,
            '{"statusCode":413,"message":"File size exceeds the limit of 25 MB"}',
            "application/json",
            RejectedError,
            "25 MB",
        ),
    ],
)
async def test_statuses_map_onto_the_error_tree(
    status: int,
    body: str,
    content_type: str,
    error: type[Exception],
    text: str,
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    client = await serve(answer(status, body, content_type))
    with pytest.raises(error) as caught:
        await client.delete("f" * 24)
    assert text in str(caught.value)
    assert TOKEN not in str(caught.value)


async def limited_client(
    serve: Callable[[Handler], Awaitable[HttpLibrary]], handler: Handler, clock: Clock
) -> HttpLibrary:
    client = await serve(handler)
    client.limiter = RateLimiter(clock=clock, sleep=clock.sleep, rng=random.Random(1))
    return client


async def test_429_pauses_every_request_for_the_interval_from_lowercase_headers(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    clock = Clock()
    headers = {"x-ratelimit-interval-milliseconds": "10000", "x-ratelimit-remaining": "0"}
    body = '{"statusCode":429,"message":"Too Many Requests"}'
    client = await limited_client(serve, answer(429, body, **headers), clock)
    with pytest.raises(RateLimitedError) as caught:
        await client.check_access()
    assert caught.value.wait == 0.0
    assert client.limiter.throttled == 1
    await client.limiter.acquire()
    (pause,) = clock.waits
    assert 10.0 <= pause <= 12.0


async def test_retry_after_wins_if_ever_sent(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    clock = Clock()
    headers = {"Retry-After": "3", "x-ratelimit-interval-milliseconds": "10000"}
    client = await limited_client(serve, answer(429, "{}", **headers), clock)
    with pytest.raises(RateLimitedError):
        await client.check_access()
    await client.limiter.acquire()
    assert clock.waits == [3.0]


async def test_spent_daily_budget_stops_with_the_reset_time(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    clock = Clock()
    headers = {"x-ratelimit-daily-remaining": "0", "x-ratelimit-daily-reset": "7200000"}
    client = await limited_client(serve, answer(200, '{"files": []}', **headers), clock)
    await client.check_access()
    with pytest.raises(BudgetExhaustedError, match=r"resets in 2\.0 h"):
        await client.check_access()


async def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    client = HttpLibrary("http://127.0.0.1:9", Secret(TOKEN), "loc1")
    try:
        with pytest.raises(RetryableError, match="cannot connect") as caught:
            await client.check_access()
        assert not caught.value.ambiguous
    finally:
        await client.aclose()


async def test_folder_create_reads_the_id(
    serve: Callable[[Handler], Awaitable[HttpLibrary]],
) -> None:
    bodies: list[object] = []

    async def handler(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.json_response({"_id": "9" * 24, "name": "n", "type": "folder"}, status=201)

    client = await serve(handler)
    folder = await client.create_folder("brand", "p1")
    assert folder.id == "9" * 24 and folder.is_folder
    assert bodies == [{"altId": "loc1", "altType": "location", "name": "brand", "parentId": "p1"}]
