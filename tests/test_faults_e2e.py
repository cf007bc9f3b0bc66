"""The engine and the real HTTP client against the sandbox injecting the service's failures:
500s, HTML 502/503, the gateway 401, reset connections and answers lost after the upload was
stored. Whatever the mix, every file ends up in the library exactly once."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from mediasync.config import Secret
from mediasync.engine import run_sync
from mediasync.errors import BudgetExhaustedError
from mediasync.ratelimit import RateLimiter
from mediasync.remote.http import HttpLibrary
from mediasync.retrying import RetryPolicy
from mediasync.sandbox import LIBRARY, FaultPlan, Library, SandboxConfig, create_app
from mediasync.state import StateStore
from tests.helpers import example_files
from tests.test_engine import Sleeps, options

MIX = FaultPlan(
    error_500=0.08,
    html_502=0.08,
    html_503=0.06,
    command_timeout=0.06,
    reset=0.08,
    drop_after_store=0.12,
    seed=11,
)


@pytest.fixture
async def faulty() -> AsyncIterator[tuple[HttpLibrary, Library]]:
    config = SandboxConfig(faults=MIX)
    server = TestServer(create_app(config))
    await server.start_server()
    sleeps = Sleeps()
    limiter = RateLimiter(sleep=sleeps, rng=random.Random(5))
    # The engine's clock (tests.test_engine.options) is the one the client reads Date against.
    client = HttpLibrary(
        str(server.make_url("")),
        Secret(config.token),
        config.location_id,
        limiter=limiter,
        wall_clock=lambda: 1_700_000_000.0,
    )
    assert server.app is not None
    try:
        yield client, server.app[LIBRARY]
    finally:
        await client.aclose()
        await server.close()


async def test_every_file_arrives_exactly_once_through_the_faults(
    media: Path, faulty: tuple[HttpLibrary, Library]
) -> None:
    client, library = faulty
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    # One worker keeps the order of requests, and so the seeded faults, the same every run.
    opts = replace(
        options(media, Sleeps()),
        concurrency=1,
        retry=RetryPolicy(attempts=8, sleep=Sleeps(), rng=random.Random(2)),
    )
    report = await run_sync(opts, client, store)
    assert report.failed == 0, [o.reason for o in report.outcomes]
    stats = library.stats()
    faults = stats["faults"]
    assert isinstance(faults, dict) and faults["drop_after_store"] >= 1 and faults["reset"] >= 1
    paths = Counter(f.path for f in library.files())
    assert paths == Counter(f"mediasync/{p}" for p in example_files())
    for stored in library.files():
        assert stored.content == (media / stored.path.removeprefix("mediasync/")).read_bytes()
    recorded = {e.remote_id for e in store.snapshot().entries.values()}
    assert recorded == {f.id for f in library.files()}


async def test_a_spent_daily_budget_stops_the_run_cleanly(media: Path) -> None:
    # About 13 requests make the folders; the budget runs out a few uploads later.
    config = SandboxConfig(daily_limit=18)
    server = TestServer(create_app(config))
    await server.start_server()
    client = HttpLibrary(str(server.make_url("")), Secret(config.token), config.location_id)
    store = StateStore.open(media / ".mediasync" / "state.db", "loc")
    try:
        with pytest.raises(BudgetExhaustedError, match=r"resets in 24\.0 h"):
            await run_sync(options(media, Sleeps()), client, store)
    finally:
        await client.aclose()
        await server.close()
    assert server.app is not None
    remote = {f.id: f for f in server.app[LIBRARY].files()}
    recorded = {e.remote_id for e in store.snapshot().entries.values()}
    assert recorded and recorded <= set(remote)
    # Whatever arrived but was not recorded is covered by an intent the next run settles.
    unsettled = {i.name for i in store.pending_intents()}
    assert {f.name for i, f in remote.items() if i not in recorded} <= unsettled
