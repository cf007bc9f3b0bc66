"""GET /medias/files: required parameters, paging without totals, filters and sorting."""

from __future__ import annotations

import re

from mediasync.sandbox import SandboxConfig
from tests.sandbox.sandbox_helpers import (
    API_HEADERS,
    LOCATION,
    FakeClock,
    create_folder,
    list_names,
    list_params,
    sandbox_client,
    upload_ok,
)

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def test_missing_required_params_are_listed_in_one_422() -> None:
    async with sandbox_client() as client:
        response = await client.get("/medias/files", headers=API_HEADERS)
        assert response.status == 422
        assert await response.json() == {
            "statusCode": 422,
            "message": [
                "altId should not be empty",
                "altType should not be empty",
                "sortBy should not be empty",
                "sortOrder should not be empty",
                "type should not be empty",
            ],
            "error": "Unprocessable Entity",
        }
        params = {"altId": LOCATION, "altType": "location", "type": "file"}
        response = await client.get("/medias/files", params=params, headers=API_HEADERS)
        assert (await response.json())["message"] == [
            "sortBy should not be empty",
            "sortOrder should not be empty",
        ]


async def test_invalid_enum_and_number_values_are_422() -> None:
    async with sandbox_client() as client:
        params = list_params(sortBy="size", sortOrder="up", type="image", offset="-1", limit="x")
        response = await client.get("/medias/files", params=params, headers=API_HEADERS)
        assert response.status == 422
        assert len((await response.json())["message"]) == 5


async def test_item_shape() -> None:
    async with sandbox_client() as client:
        folder_id = await create_folder(client, "Photos")
        file_id = await upload_ok(client, b"png-bytes", "a.png", parent_id=folder_id)
        response = await client.get(
            "/medias/files", params=list_params(parentId=folder_id), headers=API_HEADERS
        )
        body = await response.json()
        assert list(body) == ["files"]
        [item] = body["files"]
        assert re.fullmatch(r"[0-9a-f]{24}", item["_id"])
        assert item["_id"] == file_id
        assert item["altId"] == LOCATION
        assert item["altType"] == "location"
        assert item["name"] == "a.png"
        assert item["parentId"] == folder_id
        assert item["type"] == "file"
        assert item["deleted"] is False
        assert item["hosted"] is False
        assert item["appFolder"] is False
        assert item["encodedFormats"] == []
        assert item["url"].endswith(f"/hosted/{LOCATION}/media/{file_id}.png")
        assert item["path"] == f"{LOCATION}/media/{file_id}.png"
        assert ISO_MS.match(item["createdAt"]) and ISO_MS.match(item["updatedAt"])

        response = await client.get(
            "/medias/files", params=list_params(type="folder"), headers=API_HEADERS
        )
        [folder] = (await response.json())["files"]
        assert folder["_id"] == folder_id
        assert folder["parentId"] is None
        assert folder["type"] == "folder"
        assert "url" not in folder


async def test_offset_limit_pages_without_total() -> None:
    async with sandbox_client() as client:
        for index in range(7):
            await upload_ok(client, b"x", f"f{index}.txt")
        seen: list[str] = []
        offset = 0
        while True:
            page = await list_names(client, offset=str(offset), limit="3")
            seen += page
            if len(page) < 3:
                break
            offset += 3
        assert seen == [f"f{index}.txt" for index in range(7)]


async def test_limit_is_capped_and_defaulted() -> None:
    config = SandboxConfig(clock=FakeClock(), list_limit_cap=4, list_default_limit=2)
    async with sandbox_client(config) as client:
        for index in range(6):
            await upload_ok(client, b"x", f"f{index}.txt")
        assert len(await list_names(client, limit="1000")) == 4
        assert len(await list_names(client)) == 2


async def test_parent_type_query_and_fetch_all_filters() -> None:
    async with sandbox_client() as client:
        docs = await create_folder(client, "Docs")
        deep = await create_folder(client, "Deep", parent_id=docs)
        await upload_ok(client, b"1", "root.txt")
        await upload_ok(client, b"2", "Report.pdf", parent_id=docs)
        await upload_ok(client, b"3", "notes.txt", parent_id=deep)

        assert await list_names(client) == ["root.txt"]
        assert await list_names(client, parentId=docs) == ["Report.pdf"]
        assert await list_names(client, parentId=docs, type="folder") == ["Deep"]
        assert await list_names(client, type="folder") == ["Docs"]
        assert await list_names(client, fetchAll="true") == ["root.txt", "Report.pdf", "notes.txt"]
        assert await list_names(client, fetchAll="true", parentId=deep) == [
            "root.txt",
            "Report.pdf",
            "notes.txt",
        ]
        assert await list_names(client, fetchAll="true", type="folder") == ["Docs", "Deep"]
        assert await list_names(client, fetchAll="true", query="REP") == ["Report.pdf"]
        assert await list_names(client, parentId="0" * 24) == []


async def test_sorting_with_id_tie_break() -> None:
    clock = FakeClock()
    async with sandbox_client(SandboxConfig(clock=clock)) as client:
        await upload_ok(client, b"x", "b.txt")
        await upload_ok(client, b"x", "a.txt")  # same createdAt as b.txt
        clock.advance(5)
        await upload_ok(client, b"x", "c.txt")
        assert await list_names(client) == ["b.txt", "a.txt", "c.txt"]
        assert await list_names(client, sortOrder="desc") == ["c.txt", "a.txt", "b.txt"]
        assert await list_names(client, sortBy="name") == ["a.txt", "b.txt", "c.txt"]
        assert await list_names(client, sortBy="name", sortOrder="desc") == [
            "c.txt",
            "b.txt",
            "a.txt",
        ]
