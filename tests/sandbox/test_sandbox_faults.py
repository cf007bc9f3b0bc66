"""Injected faults as a client sees them, each kind at rate 1.0, plus how faults interact
with rate limiting, auth, hosted URLs, the admin endpoints and the counters."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from mediasync.sandbox import FAULTS, BackgroundSandbox, FaultPlan, SandboxConfig
from mediasync.sandbox.fault_effects import (
    BAD_GATEWAY_HTML,
    RESET_AFTER_BYTES,
    SERVICE_UNAVAILABLE_HTML,
)
from tests.sandbox.sandbox_helpers import (
    API_HEADERS,
    LOCATION,
    RATE_HEADERS,
    Client,
    FakeClock,
    library_of,
    list_params,
    sandbox_client,
    upload,
    upload_form,
    upload_ok,
)

ALT = {"altId": LOCATION, "altType": "location"}
CUT_CONNECTION = (
    aiohttp.ServerDisconnectedError,
    aiohttp.ClientOSError,
    aiohttp.ClientPayloadError,
)


class RecordingSleep:
    """Stands in for asyncio.sleep: remembers each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def faulty(plan: FaultPlan, **options: Any) -> SandboxConfig:
    return SandboxConfig(clock=FakeClock(), faults=plan, **options)


def set_plan(client: Client, plan: FaultPlan) -> None:
    app = client.app
    assert app is not None
    app[FAULTS].set_plan(plan)


async def fault_counts(client: Client) -> dict[str, int]:
    counts: dict[str, int] = (await (await client.get("/_sandbox/stats")).json())["faults"]
    return {kind: count for kind, count in counts.items() if count}


async def test_error_500_is_json_and_does_nothing() -> None:
    async with sandbox_client(faulty(FaultPlan(error_500=1.0))) as client:
        response = await upload(client, b"hello", "a.txt")
        assert response.status == 500
        assert response.content_type == "application/json"
        assert await response.json() == {"statusCode": 500, "message": "Internal server error"}
        assert all(name in response.headers for name in RATE_HEADERS)
        assert library_of(client).files() == []
        assert await fault_counts(client) == {"error_500": 1}


@pytest.mark.parametrize(
    ("plan", "status", "page"),
    [
        (FaultPlan(html_502=1.0), 502, BAD_GATEWAY_HTML),
        (FaultPlan(html_503=1.0), 503, SERVICE_UNAVAILABLE_HTML),
    ],
)
async def test_gateway_errors_are_html_pages_and_do_nothing(
    plan: FaultPlan, status: int, page: str
) -> None:
    async with sandbox_client(faulty(plan)) as client:
        response = await client.post(
            "/medias/folder", json={**ALT, "name": "Top"}, headers=API_HEADERS
        )
        assert response.status == status
        assert response.content_type == "text/html"
        assert await response.text() == page
        assert f"<title>{status} " in page
        assert library_of(client).folders() == []


async def test_command_timeout_is_a_plain_401_and_by_default_nothing_was_done() -> None:
    async with sandbox_client(faulty(FaultPlan(command_timeout=1.0))) as client:
        response = await upload(client, b"hello", "a.txt")
        assert response.status == 401
        assert response.content_type == "text/plain"
        assert await response.text() == "Command timed out"
        assert library_of(client).files() == []


async def test_command_timeout_after_store_does_the_work_first() -> None:
    plan = FaultPlan(command_timeout=1.0, command_timeout_after_store=True)
    async with sandbox_client(faulty(plan)) as client:
        response = await upload(client, b"hello", "a.txt")
        assert response.status == 401
        assert await response.text() == "Command timed out"
        [stored] = library_of(client).files()
        assert (stored.name, stored.content) == ("a.txt", b"hello")


async def test_reset_cuts_an_upload_part_way_and_stores_nothing() -> None:
    content = bytes(range(256)) * 1024  # 256 KiB: far more than a reset reads
    async with sandbox_client(faulty(FaultPlan(reset=1.0))) as client:
        with pytest.raises(CUT_CONNECTION):
            await upload(client, content, "big.txt")
        stats = library_of(client).stats()
        assert library_of(client).files() == []
        assert stats["uploads"] == 0
        assert 0 < stats["upload_bytes_read"] <= RESET_AFTER_BYTES
        assert stats["responses_per_status"] == {"444": 1}
        assert stats["faults"]["reset"] == 1


async def test_reset_of_other_requests_does_nothing() -> None:
    async with sandbox_client() as client:
        file_id = await upload_ok(client, b"hello", "a.txt")
        set_plan(client, FaultPlan(reset=1.0))
        with pytest.raises(CUT_CONNECTION):
            await client.post("/medias/folder", json={**ALT, "name": "Top"}, headers=API_HEADERS)
        with pytest.raises(CUT_CONNECTION):
            await client.delete(f"/medias/{file_id}", params=ALT, headers=API_HEADERS)
        assert library_of(client).folders() == []
        assert [f.id for f in library_of(client).files()] == [file_id]


async def test_drop_after_store_on_a_real_socket_stores_then_hangs_up() -> None:
    with BackgroundSandbox(faulty(FaultPlan(drop_after_store=1.0))) as sandbox:
        async with aiohttp.ClientSession(sandbox.base_url) as session:
            with pytest.raises(CUT_CONNECTION):
                await session.post(
                    "/medias/upload-file",
                    data=upload_form(b"hello", "a.txt"),
                    headers=API_HEADERS,
                )
            [stored] = sandbox.library.files()
            assert (stored.name, stored.content) == ("a.txt", b"hello")

            # The client cannot know the first attempt worked; retrying duplicates the file.
            sandbox.set_faults("none")
            retry = await session.post(
                "/medias/upload-file", data=upload_form(b"hello", "a.txt"), headers=API_HEADERS
            )
            assert retry.status == 201
        stats = sandbox.library.stats()
        assert (stats["uploads"], stats["files"], stats["duplicates"]) == (2, 2, 1)
        assert stats["faults"]["drop_after_store"] == 1
        assert stats["responses_per_status"] == {"201": 1, "444": 1}


async def test_drop_after_store_also_hits_folders_and_deletes() -> None:
    async with sandbox_client() as client:
        file_id = await upload_ok(client, b"hello", "a.txt")
        set_plan(client, FaultPlan(drop_after_store=1.0))
        with pytest.raises(CUT_CONNECTION):
            await client.post("/medias/folder", json={**ALT, "name": "Top"}, headers=API_HEADERS)
        with pytest.raises(CUT_CONNECTION):
            await client.delete(f"/medias/{file_id}", params=ALT, headers=API_HEADERS)
        assert [folder.name for folder in library_of(client).folders()] == ["Top"]
        assert library_of(client).files() == []


async def test_slow_answers_normally_after_the_injected_sleep() -> None:
    sleep = RecordingSleep()
    config = faulty(FaultPlan(slow=1.0, slow_seconds=1.5), sleep=sleep)
    async with sandbox_client(config) as client:
        file_id = await upload_ok(client, b"hello", "a.txt")
        assert library_of(client).get(file_id) is not None
        invalid = await client.get("/medias/files", headers=API_HEADERS)
        assert invalid.status == 422  # errors are late too
        assert sleep.delays == [1.5, 1.5]
        assert await fault_counts(client) == {"slow": 2}


async def test_rate_limit_and_auth_come_before_faults_and_faults_spend_budget() -> None:
    config = faulty(FaultPlan(error_500=1.0), rate_max=2)
    async with sandbox_client(config) as client:
        statuses = [
            (await client.get("/medias/files", params=list_params(), headers=API_HEADERS)).status
            for _ in range(3)
        ]
        assert statuses == [500, 500, 429]
        bad_token = {**API_HEADERS, "Authorization": "Bearer wrong"}
        no_version = {"Authorization": "Bearer another"}  # a fresh budget, not yet spent
        for headers in (bad_token, no_version):
            response = await client.get("/medias/files", params=list_params(), headers=headers)
            assert response.status == 401
            assert response.content_type == "application/json"
        stats = library_of(client).stats()
        assert stats["faults"]["error_500"] == 2
        assert stats["rate_limited"] == 1
        assert stats["requests_total"] == 5


async def test_hosted_urls_admin_endpoints_and_unknown_paths_are_never_faulted() -> None:
    async with sandbox_client() as client:
        file_id = await upload_ok(client, b"hello", "a.txt")
        set_plan(client, FaultPlan(error_500=0.5, reset=0.5))
        for _ in range(5):
            hosted = await client.get(f"/hosted/{LOCATION}/media/{file_id}.txt")
            assert hosted.status == 200
            assert (await client.get("/_sandbox/stats")).status == 200
            assert (await client.get("/medias/nowhere/else", headers=API_HEADERS)).status == 404
        assert await fault_counts(client) == {}


async def test_switching_faults_mid_run_through_the_admin_endpoint() -> None:
    async with sandbox_client() as client:
        assert (await (await client.get("/_sandbox/faults")).json())["spec"] == "none"

        switched = await client.post("/_sandbox/faults", json={"spec": "500:1", "seed": 7})
        assert switched.status == 200
        body = await switched.json()
        assert (body["spec"], body["seed"], body["rates"]["error_500"]) == ("500:1,seed:7", 7, 1)
        assert await (await client.get("/_sandbox/faults")).json() == body
        listing = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert listing.status == 500

        await client.post("/_sandbox/faults", json={"spec": "none"})
        listing = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        assert listing.status == 200

        chaos = await client.post(
            "/_sandbox/faults",
            json={
                "spec": "chaos",
                "seed": 3,
                "slow_seconds": 0.25,
                "command_timeout_after_store": True,
            },
        )
        plan = await chaos.json()
        assert (plan["seed"], plan["slow_seconds"], plan["command_timeout_after_store"]) == (
            3,
            0.25,
            True,
        )


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({}, "spec must be a string"),
        ({"spec": "boom"}, "unknown fault preset 'boom'"),
        ({"spec": "500:2"}, "within 0..1"),
        ({"spec": "none", "seed": "7"}, "seed must be an integer"),
        ({"spec": "none", "seed": True}, "seed must be an integer"),
        ({"spec": "none", "command_timeout_after_store": 1}, "must be a boolean"),
    ],
)
async def test_admin_endpoint_rejects_bad_plans(body: dict[str, object], complaint: str) -> None:
    async with sandbox_client() as client:
        response = await client.post("/_sandbox/faults", json=body)
        assert response.status == 400
        assert complaint in (await response.json())["message"]
        assert (await (await client.get("/_sandbox/faults")).json())["spec"] == "none"


async def test_stats_count_faults_per_kind_and_reset_keeps_the_plan() -> None:
    plan = FaultPlan(error_500=0.5, html_502=0.5, seed=11)
    async with sandbox_client(faulty(plan)) as client:
        for _ in range(10):
            await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        stats = await (await client.get("/_sandbox/stats")).json()
        assert set(stats["faults"]) == {
            "error_500",
            "html_502",
            "html_503",
            "command_timeout",
            "reset",
            "drop_after_store",
            "slow",
        }
        per_status = stats["responses_per_status"]
        assert stats["faults"]["error_500"] == per_status.get("500", 0)
        assert stats["faults"]["html_502"] == per_status.get("502", 0)
        assert sum(stats["faults"].values()) == stats["requests_total"] == 10

        await client.post("/_sandbox/reset")
        stats = await (await client.get("/_sandbox/stats")).json()
        assert sum(stats["faults"].values()) == 0
        assert (await (await client.get("/_sandbox/faults")).json())["spec"] == plan.spec()


async def test_same_seed_same_faults() -> None:
    plan = FaultPlan(error_500=0.2, html_502=0.2, html_503=0.2, command_timeout=0.2, seed=42)

    async def statuses(seeded: FaultPlan) -> list[int]:
        async with sandbox_client(faulty(seeded)) as client:
            return [
                (
                    await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
                ).status
                for _ in range(30)
            ]

    first = await statuses(plan)
    assert first == await statuses(plan)
    assert {200, 500, 502, 503, 401} <= set(first)
    assert first != await statuses(plan.with_changes(seed=43))


def test_background_sandbox_switches_faults_from_the_test_thread() -> None:
    with BackgroundSandbox(SandboxConfig(faults=FaultPlan(reset=1.0))) as sandbox:
        assert sandbox.faults == FaultPlan(reset=1.0)
        sandbox.set_faults("chaos,seed:5")
        assert sandbox.faults.seed == 5
        assert sandbox.faults.drop_after_store == 0.05
        sandbox.set_faults(FaultPlan())
        assert not sandbox.faults.active
        with pytest.raises(ValueError, match="unknown fault preset"):
            sandbox.set_faults("mayhem")
