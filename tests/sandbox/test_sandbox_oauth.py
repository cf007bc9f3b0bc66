"""The token endpoint: grants, rotation, expiry on the sandbox's clock, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from mediasync.sandbox import TOKENS, SandboxConfig
from mediasync.sandbox.cli import build_config_from_args
from tests.sandbox.sandbox_helpers import (
    TOKEN,
    Client,
    FakeClock,
    list_params,
    sandbox_client,
)

DEFAULTS = SandboxConfig()


def refresh_form(
    refresh_token: str = DEFAULTS.oauth_refresh_token, **changes: str
) -> dict[str, str]:
    form = {
        "client_id": DEFAULTS.oauth_client_id,
        "client_secret": DEFAULTS.oauth_client_secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "user_type": "Location",
    }
    form.update(changes)
    return form


async def grant(client: Client, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
    response = await client.post("/oauth/token", data=form)
    body: dict[str, Any] = await response.json()
    return response.status, body


async def list_status(client: Client, access_token: str) -> int:
    response = await client.get(
        "/medias/files",
        params=list_params(),
        headers={"Authorization": f"Bearer {access_token}", "Version": "2021-07-28"},
    )
    return response.status


async def test_refresh_grant_has_ghls_shape_and_the_token_works() -> None:
    async with sandbox_client() as client:
        status, body = await grant(client, refresh_form())
        assert status == 200
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == 86399
        assert body["userType"] == "Location"
        assert body["locationId"] == DEFAULTS.location_id
        assert body["scope"] == "medias.readonly medias.write"
        assert body["refresh_token"] != DEFAULTS.oauth_refresh_token
        assert await list_status(client, body["access_token"]) == 200
        assert await list_status(client, TOKEN) == 200  # the static token keeps working


async def test_refresh_tokens_rotate_and_the_old_one_is_refused() -> None:
    async with sandbox_client() as client:
        _, first = await grant(client, refresh_form())
        status, again = await grant(client, refresh_form())
        assert status == 400
        assert again["error"] == "invalid_grant"
        status, second = await grant(client, refresh_form(first["refresh_token"]))
        assert status == 200
        issuer = client.app[TOKENS] if client.app else None
        assert issuer is not None
        assert issuer.live_refresh_tokens() == {second["refresh_token"]}
        assert issuer.stats()["refreshes"] == 2


async def test_access_tokens_expire_on_the_sandbox_clock() -> None:
    clock = FakeClock()
    async with sandbox_client(SandboxConfig(clock=clock, access_token_ttl=60)) as client:
        _, body = await grant(client, refresh_form())
        clock.advance(59)
        assert await list_status(client, body["access_token"]) == 200
        clock.advance(1)
        response = await client.get(
            "/medias/files",
            params=list_params(),
            headers={"Authorization": f"Bearer {body['access_token']}", "Version": "2021-07-28"},
        )
        assert response.status == 401
        assert await response.json() == {
            "statusCode": 401,
            "message": "Invalid token: access token is invalid",
            "error": "Unauthorized",
        }


async def test_authorization_code_grant_is_single_use() -> None:
    async with sandbox_client() as client:
        form = {
            "client_id": DEFAULTS.oauth_client_id,
            "client_secret": DEFAULTS.oauth_client_secret,
            "grant_type": "authorization_code",
            "code": DEFAULTS.oauth_code,
            "redirect_uri": "http://localhost/callback",
            "user_type": "Location",
        }
        status, body = await grant(client, form)
        assert status == 200 and body["locationId"] == DEFAULTS.location_id
        status, again = await grant(client, form)
        assert (status, again["error"]) == (400, "invalid_grant")
        fresh = await (await client.post("/_sandbox/oauth/code")).json()
        status, _ = await grant(client, {**form, "code": fresh["code"]})
        assert status == 200


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (refresh_form(client_secret="wrong"), 401, "invalid_client"),
        (refresh_form(client_id="someone-else"), 401, "invalid_client"),
        (refresh_form("never-issued"), 400, "invalid_grant"),
        (refresh_form(""), 400, "invalid_request"),
        (refresh_form(grant_type="password"), 400, "unsupported_grant_type"),
        (refresh_form(user_type="Company"), 400, "invalid_request"),
    ],
)
async def test_refusals(form: dict[str, str], status: int, error: str) -> None:
    async with sandbox_client() as client:
        got, body = await grant(client, form)
        assert (got, body["error"]) == (status, error)
        assert body["error_description"]
        # A refused grant spends nothing: the seed refresh token still works.
        assert (await grant(client, refresh_form()))[0] == 200


async def test_json_bodies_are_refused() -> None:
    async with sandbox_client() as client:
        response = await client.post("/oauth/token", json=refresh_form())
        assert response.status == 400
        assert (await response.json())["error"] == "invalid_request"


def test_cli_flags_set_the_oauth_fields() -> None:
    config, _, _ = build_config_from_args(
        ["--oauth-client-id", "cid", "--oauth-client-secret", "cs", "--oauth-refresh-token",
         "rt", "--oauth-code", "code", "--access-token-ttl", "5"]
    )  # fmt: skip
    assert (config.oauth_client_id, config.oauth_client_secret) == ("cid", "cs")
    assert (config.oauth_refresh_token, config.oauth_code, config.access_token_ttl) == (
        "rt",
        "code",
        5,
    )
    with pytest.raises(SystemExit):
        build_config_from_args(["--access-token-ttl", "0"])
