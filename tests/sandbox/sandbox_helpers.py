"""Shared helpers for the sandbox tests (a plain module, not a conftest, so that its name
cannot collide with other test packages' conftest modules under mypy)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientResponse, FormData, web
from aiohttp.test_utils import TestClient, TestServer

from mediasync.sandbox import LIBRARY, Library, SandboxConfig, create_app

TOKEN = SandboxConfig().token
LOCATION = SandboxConfig().location_id
API_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"}
RATE_HEADERS = (
    "x-ratelimit-limit-daily",
    "x-ratelimit-daily-remaining",
    "x-ratelimit-interval-milliseconds",
    "x-ratelimit-max",
    "x-ratelimit-remaining",
    "x-ratelimit-daily-reset",
)

Client = TestClient[web.Request, web.Application]


class FakeClock:
    """A clock tests move by hand, so nothing ever sleeps."""

    def __init__(self, start: float = 1_796_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def sandbox_client(config: SandboxConfig | None = None) -> AsyncIterator[Client]:
    app = create_app(config or SandboxConfig(clock=FakeClock()))
    async with TestClient(TestServer(app)) as client:
        yield client


def library_of(client: Client) -> Library:
    app = client.app
    assert app is not None
    return app[LIBRARY]


def list_params(**overrides: str) -> dict[str, str]:
    params = {
        "altId": LOCATION,
        "altType": "location",
        "sortBy": "createdAt",
        "sortOrder": "asc",
        "type": "file",
    }
    params.update(overrides)
    return params


def upload_form(
    content: bytes,
    filename: str,
    *,
    name: str | None = None,
    parent_id: str | None = None,
    content_type: str | None = None,
    fields_first: bool = False,
) -> FormData:
    form = FormData()
    extra = {"name": name, "parentId": parent_id}
    if fields_first:
        for key, value in extra.items():
            if value is not None:
                form.add_field(key, value)
    form.add_field("file", content, filename=filename, content_type=content_type)
    if not fields_first:
        for key, value in extra.items():
            if value is not None:
                form.add_field(key, value)
    form.add_field("hosted", "false")
    return form


async def upload(client: Client, content: bytes, filename: str, **options: Any) -> ClientResponse:
    return await client.post(
        "/medias/upload-file", data=upload_form(content, filename, **options), headers=API_HEADERS
    )


async def upload_ok(client: Client, content: bytes, filename: str, **options: Any) -> str:
    response = await upload(client, content, filename, **options)
    assert response.status == 201, await response.text()
    file_id: str = (await response.json())["fileId"]
    return file_id


async def create_folder(client: Client, name: str, parent_id: str | None = None) -> str:
    body: dict[str, str] = {"altId": LOCATION, "altType": "location", "name": name}
    if parent_id is not None:
        body["parentId"] = parent_id
    response = await client.post("/medias/folder", json=body, headers=API_HEADERS)
    assert response.status == 201, await response.text()
    folder_id: str = (await response.json())["_id"]
    return folder_id


async def list_names(client: Client, **overrides: str) -> list[str]:
    response = await client.get(
        "/medias/files", params=list_params(**overrides), headers=API_HEADERS
    )
    assert response.status == 200, await response.text()
    return [item["name"] for item in (await response.json())["files"]]
