"""Folders, rename, delete and the bulk operations."""

from __future__ import annotations

from mediasync.sandbox import SandboxConfig
from tests.sandbox.sandbox_helpers import (
    API_HEADERS,
    LOCATION,
    FakeClock,
    create_folder,
    library_of,
    list_names,
    list_params,
    sandbox_client,
    upload_ok,
)

ALT = {"altId": LOCATION, "altType": "location"}
NOT_FOUND = {"statusCode": 404, "message": "Media not found", "error": "Not Found"}


async def test_delete_then_second_delete_is_404() -> None:
    async with sandbox_client() as client:
        file_id = await upload_ok(client, b"bytes", "a.txt")
        response = await client.delete(f"/medias/{file_id}", params=ALT, headers=API_HEADERS)
        assert response.status == 200
        assert "traceId" in await response.json()
        assert await list_names(client) == []
        assert (await client.get(f"/hosted/{LOCATION}/media/{file_id}.txt")).status == 404

        again = await client.delete(f"/medias/{file_id}", params=ALT, headers=API_HEADERS)
        assert again.status == 404
        assert await again.json() == NOT_FOUND
        assert library_of(client).stats()["deletes"] == 1


async def test_delete_requires_location_params() -> None:
    async with sandbox_client() as client:
        file_id = await upload_ok(client, b"bytes", "a.txt")
        response = await client.delete(f"/medias/{file_id}", headers=API_HEADERS)
        assert response.status == 422
        response = await client.delete(
            f"/medias/{file_id}", params={**ALT, "altId": "other"}, headers=API_HEADERS
        )
        assert response.status == 403
        assert len(library_of(client).files()) == 1


async def test_serve_deleted_option_keeps_hosted_url_alive() -> None:
    async with sandbox_client(SandboxConfig(clock=FakeClock(), serve_deleted=True)) as client:
        file_id = await upload_ok(client, b"bytes", "a.txt")
        await client.delete(f"/medias/{file_id}", params=ALT, headers=API_HEADERS)
        hosted = await client.get(f"/hosted/{LOCATION}/media/{file_id}.txt")
        assert hosted.status == 200 and await hosted.read() == b"bytes"


async def test_folder_create_and_cascading_delete() -> None:
    async with sandbox_client() as client:
        response = await client.post(
            "/medias/folder", json={**ALT, "name": "Top"}, headers=API_HEADERS
        )
        assert response.status == 201
        folder = await response.json()
        assert folder["name"] == "Top" and folder["type"] == "folder"
        assert folder["altId"] == LOCATION and folder["parentId"] is None
        assert folder["deleted"] is False and len(folder["_id"]) == 24
        top = folder["_id"]
        inner = await create_folder(client, "Inner", parent_id=top)
        await upload_ok(client, b"1", "a.txt", parent_id=inner)
        await upload_ok(client, b"2", "keep.txt")

        response = await client.delete(f"/medias/{top}", params=ALT, headers=API_HEADERS)
        assert response.status == 200
        assert await list_names(client, fetchAll="true") == ["keep.txt"]
        assert await list_names(client, fetchAll="true", type="folder") == []
        response = await client.delete(f"/medias/{inner}", params=ALT, headers=API_HEADERS)
        assert response.status == 404


async def test_folder_validation() -> None:
    async with sandbox_client() as client:
        response = await client.post("/medias/folder", json=ALT, headers=API_HEADERS)
        assert response.status == 422
        assert (await response.json())["message"] == ["name should not be empty"]
        response = await client.post(
            "/medias/folder", json={**ALT, "name": "x", "parentId": "a" * 24}, headers=API_HEADERS
        )
        assert response.status == 422


async def test_rename() -> None:
    clock = FakeClock()
    async with sandbox_client(SandboxConfig(clock=clock)) as client:
        file_id = await upload_ok(client, b"1", "old.txt")
        clock.advance(60)
        response = await client.post(
            f"/medias/{file_id}", json={**ALT, "name": "new.txt"}, headers=API_HEADERS
        )
        assert response.status == 200
        body = await response.json()
        assert body["updated"] is True and "traceId" in body
        response = await client.get("/medias/files", params=list_params(), headers=API_HEADERS)
        [item] = (await response.json())["files"]
        assert item["name"] == "new.txt"
        assert item["updatedAt"] > item["createdAt"]

        response = await client.post(
            f"/medias/{'0' * 24}", json={**ALT, "name": "x.txt"}, headers=API_HEADERS
        )
        assert await response.json() == NOT_FOUND
        response = await client.post(f"/medias/{file_id}", json=ALT, headers=API_HEADERS)
        assert response.status == 422


async def test_bulk_update_and_bulk_delete() -> None:
    async with sandbox_client() as client:
        first = await upload_ok(client, b"1", "a.txt")
        second = await upload_ok(client, b"2", "b.txt")
        missing = "0" * 24
        body = {**ALT, "filesToBeUpdated": [{"id": first, "name": "A.txt"}, {"id": missing}]}
        response = await client.put("/medias/update-files", json=body, headers=API_HEADERS)
        assert response.status == 200
        assert await response.json() == [
            {"updated": True, "id": first},
            {"updated": False, "id": missing},
        ]
        assert await list_names(client) == ["A.txt", "b.txt"]

        body = {**ALT, "status": "trashed", "filesToBeDeleted": [{"_id": second}, {"_id": missing}]}
        response = await client.put("/medias/delete-files", json=body, headers=API_HEADERS)
        assert response.status == 200
        assert await response.json() == [
            {"deleted": True, "id": second},
            {"deleted": False, "id": missing},
        ]
        assert await list_names(client) == ["A.txt"]

        response = await client.put(
            "/medias/delete-files", json={**ALT, "status": "gone"}, headers=API_HEADERS
        )
        assert response.status == 422
        assert (await response.json())["message"] == [
            "filesToBeDeleted should not be empty",
            "status must be one of the following values: deleted, trashed",
        ]


async def test_stats_and_reset_endpoints() -> None:
    async with sandbox_client() as client:
        await upload_ok(client, b"1", "a.txt")
        await upload_ok(client, b"1", "a.txt")
        stats = await (await client.get("/_sandbox/stats")).json()
        assert stats["uploads"] == 2
        assert stats["duplicates"] == 1
        assert stats["files"] == 2
        assert stats["requests_per_route"]["POST /medias/upload-file"] == 2
        assert stats["requests_total"] == 2  # /_sandbox itself is not counted

        assert (await client.post("/_sandbox/reset")).status == 200
        assert library_of(client).files() == []
        assert library_of(client).stats()["uploads"] == 0
