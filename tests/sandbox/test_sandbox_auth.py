"""Version/token/location checks and the shape of routing errors."""

from __future__ import annotations

import pytest

from tests.sandbox.sandbox_helpers import (
    API_HEADERS,
    RATE_HEADERS,
    TOKEN,
    list_params,
    sandbox_client,
)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Authorization": f"Bearer {TOKEN}"}, "version header was not found."),
        (
            {"Authorization": f"Bearer {TOKEN}", "Version": "2020-01-01"},
            "version header is invalid",
        ),
        ({"Version": "2021-07-28"}, "Invalid token: access token is invalid"),
        (
            {"Version": "2021-07-28", "Authorization": "Bearer nope"},
            "Invalid token: access token is invalid",
        ),
        (
            {"Version": "2021-07-28", "Authorization": TOKEN},
            "Invalid token: access token is invalid",
        ),
    ],
)
async def test_401_bodies(headers: dict[str, str], message: str) -> None:
    async with sandbox_client() as client:
        response = await client.get("/medias/files", params=list_params(), headers=headers)
        assert response.status == 401
        assert await response.json() == {
            "statusCode": 401,
            "message": message,
            "error": "Unauthorized",
        }
        assert all(name in response.headers for name in RATE_HEADERS)


@pytest.mark.parametrize("version", ["2021-07-28", "2021-04-15", "2023-02-21", "v3"])
async def test_every_published_version_is_accepted(version: str) -> None:
    async with sandbox_client() as client:
        headers = {"authorization": f"bearer {TOKEN}", "version": version}
        response = await client.get("/medias/files", params=list_params(), headers=headers)
        assert response.status == 200


async def test_foreign_location_is_403_even_with_other_fields_missing() -> None:
    async with sandbox_client() as client:
        response = await client.get(
            "/medias/files", params={"altId": "someoneElse"}, headers=API_HEADERS
        )
        assert response.status == 403
        assert await response.json() == {
            "statusCode": 403,
            "message": "The token does not have access to this location.",
            "error": "Forbidden",
        }
        body = {"altId": "someoneElse", "altType": "location", "name": "x"}
        response = await client.post("/medias/folder", json=body, headers=API_HEADERS)
        assert response.status == 403


async def test_alt_type_must_be_location() -> None:
    async with sandbox_client() as client:
        response = await client.get(
            "/medias/files", params=list_params(altType="agency"), headers=API_HEADERS
        )
        assert response.status == 422
        assert (await response.json())["message"] == [
            "altType must be one of the following values: location"
        ]


async def test_unknown_paths_answer_nest_style_404() -> None:
    async with sandbox_client() as client:
        response = await client.get("/nothing/here")
        assert response.status == 404
        assert await response.json() == {
            "statusCode": 404,
            "message": "Cannot GET /nothing/here",
            "error": "Not Found",
        }
        response = await client.patch("/medias/files", headers=API_HEADERS)
        assert response.status == 404
        assert (await response.json())["message"] == "Cannot PATCH /medias/files"
        assert "x-ratelimit-remaining" in response.headers


async def test_bad_json_body_is_400() -> None:
    async with sandbox_client() as client:
        response = await client.post(
            "/medias/folder",
            data=b"{not json",
            headers=API_HEADERS | {"Content-Type": "application/json"},
        )
        assert response.status == 400
        assert (await response.json())["statusCode"] == 400
