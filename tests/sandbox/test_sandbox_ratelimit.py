"""Rate-limit headers on every /medias response, 429s, and recovery via the fake clock."""

from __future__ import annotations

import asyncio

from mediasync.sandbox import SandboxConfig
from tests.sandbox.sandbox_helpers import (
    API_HEADERS,
    RATE_HEADERS,
    FakeClock,
    list_params,
    sandbox_client,
    upload_ok,
)


async def test_headers_on_success_and_errors() -> None:
    async with sandbox_client() as client:
        ok = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        bad = await client.get("/medias/files", headers=API_HEADERS)
        missing = await client.delete(
            f"/medias/{'0' * 24}", params=list_params(), headers=API_HEADERS
        )
        assert (ok.status, bad.status, missing.status) == (200, 422, 404)
        for response in (ok, bad, missing):
            raw_names = {name for name, _ in response.raw_headers}
            assert {name.encode() for name in RATE_HEADERS} <= raw_names  # lowercase as sent
        assert ok.headers["x-ratelimit-max"] == "100"
        assert ok.headers["x-ratelimit-interval-milliseconds"] == "10000"
        assert ok.headers["x-ratelimit-limit-daily"] == "200000"
        assert ok.headers["x-ratelimit-remaining"] == "99"
        assert bad.headers["x-ratelimit-remaining"] == "98"
        assert ok.headers["x-ratelimit-daily-remaining"] == "199999"
        assert ok.headers["x-ratelimit-daily-reset"] == "86400000"


async def test_header_names_are_lowercase_on_the_wire() -> None:
    async with sandbox_client() as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(b"GET /medias/files HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        raw = await reader.read()
        writer.close()
        await writer.wait_closed()
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.startswith(b"HTTP/1.1 401")
        for name in RATE_HEADERS:
            assert f"\r\n{name}: ".encode() in head


async def test_429_without_retry_after_then_recovery() -> None:
    clock = FakeClock()
    config = SandboxConfig(clock=clock, rate_max=3)
    async with sandbox_client(config) as client:
        for _ in range(3):
            await upload_ok(client, b"x", "a.txt")
            clock.advance(1)
        limited = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert limited.status == 429
        assert await limited.json() == {"statusCode": 429, "message": "Too Many Requests"}
        assert "Retry-After" not in limited.headers
        assert limited.headers["x-ratelimit-remaining"] == "0"

        clock.advance(7.5)  # the first request is now 10.5 s old and has left the window
        ok = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert ok.status == 200
        assert ok.headers["x-ratelimit-remaining"] == "0"
        stats = await (await client.get("/_sandbox/stats")).json()
        assert stats["rate_limited"] == 1
        assert stats["responses_per_status"]["429"] == 1


async def test_daily_limit_and_retry_after_option() -> None:
    clock = FakeClock()
    config = SandboxConfig(clock=clock, daily_limit=2, retry_after_on_429=True)
    async with sandbox_client(config) as client:
        for _ in range(2):
            ok = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
            assert ok.status == 200
        clock.advance(3600)
        limited = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert limited.status == 429
        assert limited.headers["x-ratelimit-daily-remaining"] == "0"
        assert limited.headers["x-ratelimit-daily-reset"] == str((86400 - 3600) * 1000)
        assert limited.headers["Retry-After"] == str(86400 - 3600)
        clock.advance(86400)
        ok = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert ok.status == 200


async def test_trial_preset_and_separate_budget_for_bad_tokens() -> None:
    async with sandbox_client(SandboxConfig.trial(clock=FakeClock())) as client:
        bad = {"Version": "2021-07-28", "Authorization": "Bearer wrong"}
        for _ in range(30):
            await client.get("/medias/files", params=list_params(), headers=bad)
        ok = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert ok.status == 200
        assert ok.headers["x-ratelimit-max"] == "25"
        assert ok.headers["x-ratelimit-limit-daily"] == "10000"
        assert ok.headers["x-ratelimit-remaining"] == "24"


async def test_hosted_urls_are_not_rate_limited() -> None:
    clock = FakeClock()
    async with sandbox_client(SandboxConfig(clock=clock, rate_max=1)) as client:
        file_id = await upload_ok(client, b"x", "a.txt")
        library_path = f"/hosted/{SandboxConfig().location_id}/media/{file_id}.txt"
        for _ in range(5):
            assert (await client.get(library_path)).status == 200
