"""OAuthAuthorizer and TokenEndpoint against the sandbox's token endpoint on loopback, with
injected clocks: proactive and reactive refresh, one refresh for many workers, rotation on
disk, refusals, and no token or secret in any log line or error."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from mediasync.config import Secret
from mediasync.errors import AuthError, RetryableError
from mediasync.remote.http import HttpLibrary
from mediasync.remote.oauth import OAuthAuthorizer
from mediasync.remote.token_endpoint import TokenEndpoint
from mediasync.sandbox import LIBRARY, TOKENS, SandboxConfig, TokenIssuer, create_app
from mediasync.tokenfile import TokenSet, read_token_file, write_token_file
from tests.sandbox.sandbox_helpers import FakeClock

LOCATION = "OauthLocation0000001"
SEED = "seed-refresh-token-0001"
CLIENT_ID = "client-id-0001"
CLIENT_SECRET = "client-secret-shhh-0001"
TTL = 3600


class Sandbox:
    def __init__(self, server: TestServer, clock: FakeClock) -> None:
        self.server = server
        self.clock = clock

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    @property
    def issuer(self) -> TokenIssuer:
        return self.server.app[TOKENS]


@pytest.fixture
def client_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sandbox(client_clock: FakeClock) -> AsyncIterator[Sandbox]:
    # Its own clock: a test moves it alone to make the server see a token expire early.
    clock = FakeClock(client_clock.now)
    config = SandboxConfig(
        location_id=LOCATION,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        oauth_refresh_token=SEED,
        access_token_ttl=TTL,
        clock=clock,
    )
    server = TestServer(create_app(config))
    await server.start_server()
    yield Sandbox(server, clock)
    await server.close()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "state" / "oauth-token.json"
    write_token_file(path, TokenSet("", SEED, 0.0, LOCATION))
    return path


Build = Callable[..., OAuthAuthorizer]


@pytest.fixture
async def build(
    sandbox: Sandbox, token_file: Path, client_clock: FakeClock
) -> AsyncIterator[Build]:
    made: list[OAuthAuthorizer] = []

    def make(
        url: str | None = None, secret: str = CLIENT_SECRET, location: str = LOCATION
    ) -> OAuthAuthorizer:
        endpoint = TokenEndpoint(
            url or f"{sandbox.url}/oauth/token",
            Secret(CLIENT_ID),
            Secret(secret),
            location,
            clock=client_clock,
        )
        authorizer = OAuthAuthorizer(endpoint, token_file, location, clock=client_clock)
        made.append(authorizer)
        return authorizer

    yield make
    for authorizer in made:
        await authorizer.aclose()


async def test_first_use_refreshes_and_persists_the_rotated_tokens(
    build: Build, sandbox: Sandbox, token_file: Path, client_clock: FakeClock
) -> None:
    authorizer = build()
    header = await authorizer.authorization()
    assert header.value.startswith("Bearer sbx-at-")
    stored = read_token_file(token_file)
    assert stored.refresh_token != SEED
    assert sandbox.issuer.live_refresh_tokens() == {stored.refresh_token}
    assert header.value == f"Bearer {stored.access_token}"
    assert stored.expires_at == client_clock.now + TTL
    assert stored.location_id == LOCATION
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert authorizer.refreshes == 1
    assert await authorizer.authorization() == header
    assert authorizer.refreshes == 1


async def test_proactive_refresh_a_minute_before_expiry(
    build: Build, sandbox: Sandbox, client_clock: FakeClock
) -> None:
    authorizer = build()
    first = await authorizer.authorization()
    client_clock.advance(TTL - 61)
    assert await authorizer.authorization() == first
    client_clock.advance(2)
    second = await authorizer.authorization()
    assert second != first
    assert sandbox.issuer.stats()["refreshes"] == 2


async def test_many_workers_that_see_expiry_share_one_refresh(
    build: Build, sandbox: Sandbox
) -> None:
    authorizer = build()
    headers = await asyncio.gather(*(authorizer.authorization() for _ in range(20)))
    assert len(set(headers)) == 1
    assert sandbox.issuer.stats()["refreshes"] == 1
    assert authorizer.refreshes == 1


async def test_renew_after_a_refusal_refreshes_once_for_all_who_saw_it(
    build: Build, sandbox: Sandbox
) -> None:
    authorizer = build()
    refused = await authorizer.authorization()
    results = await asyncio.gather(*(authorizer.renew(refused) for _ in range(10)))
    assert all(results)
    assert sandbox.issuer.stats()["refreshes"] == 2
    assert await authorizer.authorization() != refused


async def test_a_second_process_adopts_the_tokens_the_first_rotated(
    build: Build, sandbox: Sandbox, token_file: Path
) -> None:
    first, second = build(), build()
    header = await first.authorization()
    # `second` read the file before `first` refreshed; it must not spend the dead seed.
    assert await second.authorization() == header
    assert sandbox.issuer.stats()["refreshes"] == 1
    assert second.refreshes == 0


async def test_reactive_refresh_on_401_then_the_request_succeeds(
    build: Build, sandbox: Sandbox, tmp_path: Path
) -> None:
    authorizer = build()
    http = HttpLibrary(sandbox.url, authorizer, LOCATION)
    try:
        await http.check_access()
        # The server's clock runs ahead: it sees expiry while we think the token is fresh.
        sandbox.clock.advance(TTL)
        folder = await http.create_folder("f", None)
        assert sandbox.issuer.stats()["refreshes"] == 2
        sandbox.clock.advance(TTL)
        path = tmp_path / "a.png"
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 5000)
        result = await http.upload(path, path.stat().st_size, "a.png", folder.id, "image/png")
        assert sandbox.issuer.stats()["refreshes"] == 3
        # The body was rebuilt and the digest is of the bytes of the attempt that landed.
        assert result.size == path.stat().st_size
        stored = {f.name: f.content for f in sandbox.server.app[LIBRARY].files()}
        assert stored == {"a.png": path.read_bytes()}
    finally:
        await http.aclose()


@pytest.fixture
async def fake_api(
    sandbox: Sandbox,
) -> AsyncIterator[Callable[[int, str], Awaitable[str]]]:
    """A /medias server that always answers one status and message; tokens from the sandbox."""
    servers: list[TestServer] = []

    async def start(status: int, message: str) -> str:
        async def handler(request: web.Request) -> web.Response:
            if message.startswith("text:"):
                return web.Response(status=status, text=message[5:])
            body = {"statusCode": status, "message": message, "error": "Unauthorized"}
            return web.json_response(body, status=status)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


async def test_a_second_401_says_to_reauthorise(
    build: Build, fake_api: Callable[[int, str], Awaitable[str]]
) -> None:
    authorizer = build()
    http = HttpLibrary(
        await fake_api(401, "Invalid token: access token is invalid"), authorizer, LOCATION
    )
    try:
        with pytest.raises(AuthError, match="re-authorise the Marketplace app") as info:
            await http.check_access()
    finally:
        await http.aclose()
    assert authorizer.refreshes == 2  # the first use, then one for the 401: never a loop
    assert "oauth exchange" in str(info.value)


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (401, "version header is invalid", AuthError),
        (401, "version header was not found.", AuthError),
        (401, "The token is not authorized for this scope.", AuthError),
        (403, "The token does not have access to this location.", AuthError),
        (401, "text:Command timed out", RetryableError),
    ],
)
async def test_other_refusals_never_refresh(
    build: Build,
    fake_api: Callable[[int, str], Awaitable[str]],
    status: int,
    message: str,
    error: type[Exception],
) -> None:
    authorizer = build()
    http = HttpLibrary(await fake_api(status, message), authorizer, LOCATION)
    try:
        with pytest.raises(error):
            await http.check_access()
    finally:
        await http.aclose()
    assert authorizer.refreshes == 1  # only the first use's


async def test_a_refused_refresh_token_is_an_auth_error_and_keeps_the_file(
    build: Build, token_file: Path
) -> None:
    write_token_file(token_file, TokenSet("", "never-issued", 0.0, LOCATION))
    before = token_file.read_bytes()
    with pytest.raises(AuthError, match="refused the refresh token \\(400 invalid_grant\\)"):
        await build().authorization()
    assert token_file.read_bytes() == before


async def test_wrong_client_keys_name_the_variables(build: Build) -> None:
    with pytest.raises(AuthError, match="refused the app \\(401 invalid_client\\)"):
        await build(secret="wrong").authorization()


async def test_a_token_for_another_location_is_refused(build: Build, token_file: Path) -> None:
    write_token_file(token_file, TokenSet("", SEED, 0.0, "Elsewhere"))
    with pytest.raises(AuthError, match="belongs to location Elsewhere"):
        build(location="Elsewhere2")
    write_token_file(token_file, TokenSet("", SEED, 0.0, ""))
    before = token_file.read_bytes()
    with pytest.raises(AuthError, match="issued a token for location OauthLocation0000001"):
        await build(location="Elsewhere2").authorization()
    assert token_file.read_bytes() == before


async def test_an_answer_whose_token_no_header_can_carry_is_refused_and_not_stored(
    token_file: Path, client_clock: FakeClock
) -> None:
    async def token_endpoint(request: web.Request) -> web.Response:
        body = {"access_token": "at-new\r\nX-Injected: 1", "refresh_token": "rt-new"}
        return web.json_response({**body, "expires_in": TTL, "locationId": LOCATION})

    app = web.Application()
    app.router.add_post("/oauth/token", token_endpoint)
    server = TestServer(app)
    await server.start_server()
    url = str(server.make_url("/oauth/token"))
    endpoint = TokenEndpoint(url, Secret(CLIENT_ID), Secret(CLIENT_SECRET), LOCATION)
    authorizer = OAuthAuthorizer(endpoint, token_file, LOCATION, clock=client_clock)
    before = token_file.read_bytes()
    try:
        with pytest.raises(AuthError, match="a token that holds a control character") as info:
            await authorizer.authorization()
    finally:
        await authorizer.aclose()
        await server.close()
    assert "at-new" not in str(info.value)
    assert token_file.read_bytes() == before


async def test_an_unreachable_endpoint_is_retryable_and_not_ambiguous(build: Build) -> None:
    with pytest.raises(RetryableError) as info:
        await build(url="http://127.0.0.1:9/oauth/token").authorization()
    assert info.value.ambiguous is False


async def test_no_token_or_secret_in_logs_or_errors(
    build: Build,
    sandbox: Sandbox,
    token_file: Path,
    fake_api: Callable[[int, str], Awaitable[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    authorizer = build()
    http = HttpLibrary(
        await fake_api(401, "Invalid token: access token is invalid"), authorizer, LOCATION
    )
    errors: list[BaseException] = []
    try:
        with pytest.raises(AuthError) as first:
            await http.check_access()
        errors.append(first.value)
    finally:
        await http.aclose()
    write_token_file(token_file, TokenSet("at-stale-0001", "rt-dead-0001", 0.0, LOCATION))
    for broken in (build(), build(secret="wrong-secret-0001")):
        with pytest.raises(AuthError) as refused:
            await broken.authorization()
        errors.append(refused.value)
    secrets = {
        SEED,
        CLIENT_SECRET,
        "wrong-secret-0001",
        "at-stale-0001",
        "rt-dead-0001",
        *sandbox.issuer.live_refresh_tokens(),
    }
    issued = [r.getMessage() for r in caplog.records]
    assert any("refreshed the OAuth access token" in line for line in issued)
    shown = caplog.text + "\n".join(f"{e!s} {e!r} {e.__cause__!r}" for e in errors)
    shown += repr(read_token_file(token_file))
    for secret in secrets:
        assert secret not in shown
    assert "sbx-at-" not in shown and "sbx-rt-" not in shown


async def test_a_static_token_is_sent_as_before_and_never_resent() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers["Authorization"])
        body = {"statusCode": 401, "message": "Invalid token: access token is invalid"}
        return web.json_response(body, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = TestServer(app)
    await server.start_server()
    http = HttpLibrary(str(server.make_url("")), Secret("pit-static-0001"), LOCATION)
    try:
        with pytest.raises(AuthError, match="current Private Integration Token") as info:
            await http.check_access()
    finally:
        await http.aclose()
        await server.close()
    assert seen == ["Bearer pit-static-0001"]
    assert "pit-static-0001" not in str(info.value)


async def test_an_endpoint_outage_spends_the_tokens_last_seconds_first(
    build: Build, token_file: Path, client_clock: FakeClock
) -> None:
    write_token_file(
        token_file, TokenSet("at-live-0001", SEED, client_clock.now + 30, LOCATION, 0.0)
    )
    down = build(url="http://127.0.0.1:9/oauth/token")
    assert (await down.authorization()).value == "Bearer at-live-0001"
    client_clock.advance(30)
    with pytest.raises(RetryableError):
        await down.authorization()


async def test_a_cancelled_refresh_still_stores_the_rotated_tokens(
    token_file: Path, client_clock: FakeClock
) -> None:
    asked = asyncio.Event()
    answer = asyncio.Event()
    grants: list[str] = []

    async def token_endpoint(request: web.Request) -> web.Response:
        grants.append(str((await request.post())["refresh_token"]))
        asked.set()
        await answer.wait()
        body = {"access_token": "at-new", "refresh_token": "rt-new", "expires_in": TTL}
        return web.json_response({**body, "locationId": LOCATION})

    app = web.Application()
    app.router.add_post("/oauth/token", token_endpoint)
    server = TestServer(app)
    await server.start_server()
    endpoint = TokenEndpoint(
        str(server.make_url("/oauth/token")), Secret(CLIENT_ID), Secret(CLIENT_SECRET), LOCATION
    )
    authorizer = OAuthAuthorizer(endpoint, token_file, LOCATION, clock=client_clock)
    try:
        first = asyncio.create_task(authorizer.authorization())
        await asked.wait()
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        answer.set()
        # The next caller waits for the shielded refresh and takes its result from disk.
        assert (await authorizer.authorization()).value == "Bearer at-new"
    finally:
        await authorizer.aclose()
        await server.close()
    assert grants == [SEED]
    assert read_token_file(token_file).refresh_token == "rt-new"
