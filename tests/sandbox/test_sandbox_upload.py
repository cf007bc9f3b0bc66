"""POST /medias/upload-file and the hosted URLs it hands out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import FormData
from yarl import URL

from mediasync.sandbox import SandboxConfig
from mediasync.sandbox.upload import CHUNK_BYTES
from tests.sandbox.sandbox_helpers import (
    API_HEADERS,
    LOCATION,
    FakeClock,
    create_folder,
    library_of,
    list_names,
    sandbox_client,
    upload,
    upload_ok,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10


async def test_upload_returns_id_and_a_url_serving_the_same_bytes() -> None:
    async with sandbox_client() as client:
        response = await upload(client, PNG, "logo.png", content_type="image/png")
        assert response.status == 201
        body = await response.json()
        assert set(body) == {"fileId", "url", "traceId"}
        url = URL(body["url"])
        assert url.path == f"/hosted/{LOCATION}/media/{body['fileId']}.png"
        assert url.host == client.host and url.port == client.port

        hosted = await client.get(url.path)  # no auth, no Version
        assert hosted.status == 200
        assert await hosted.read() == PNG
        assert hosted.headers["Content-Type"] == "image/png"
        assert hosted.headers["Content-Length"] == str(len(PNG))
        assert "x-ratelimit-remaining" not in hosted.headers

        head = await client.head(url.path)
        assert head.status == 200
        assert head.headers["Content-Type"] == "image/png"
        assert head.headers["Content-Length"] == str(len(PNG))
        assert await head.read() == b""

        [stored] = library_of(client).files()
        assert (stored.id, stored.name, stored.content) == (body["fileId"], "logo.png", PNG)


async def test_content_type_guessed_when_part_is_generic() -> None:
    async with sandbox_client() as client:
        file_id = await upload_ok(client, b"%PDF-1.4", "doc.pdf")  # aiohttp sends octet-stream
        hosted = await client.get(f"/hosted/{LOCATION}/media/{file_id}.pdf")
        assert hosted.headers["Content-Type"] == "application/pdf"
        assert (await client.get(f"/hosted/{LOCATION}/media/{file_id}.png")).status == 404
        assert (await client.get(f"/hosted/elsewhere/media/{file_id}.pdf")).status == 404


async def test_name_field_overrides_filename_and_duplicates_are_allowed() -> None:
    async with sandbox_client() as client:
        first = await upload_ok(client, b"a", "tmp123.txt", name="notes.txt")
        second = await upload_ok(client, b"b", "other.txt", name="notes.txt")
        assert first != second and first < second
        assert await list_names(client) == ["notes.txt", "notes.txt"]
        assert library_of(client).stats()["duplicates"] == 1


async def test_upload_into_folder_then_list_by_parent() -> None:
    async with sandbox_client() as client:
        folder = await create_folder(client, "Media")
        await upload_ok(client, b"v", "clip.mp4", parent_id=folder)
        assert await list_names(client, parentId=folder) == ["clip.mp4"]
        assert await list_names(client) == []
        assert library_of(client).files()[0].path == "Media/clip.mp4"


@pytest.mark.parametrize("fields_first", [False, True])
async def test_unknown_parent_is_422(fields_first: bool) -> None:
    async with sandbox_client() as client:
        response = await upload(
            client, b"x", "a.txt", parent_id="f" * 24, fields_first=fields_first
        )
        assert response.status == 422
        assert (await response.json())["message"] == [
            "parentId must be the id of an existing folder"
        ]
        assert library_of(client).files() == []


@pytest.mark.parametrize("fields_first", [False, True])
async def test_disallowed_type_is_422(fields_first: bool) -> None:
    async with sandbox_client() as client:
        response = await upload(
            client, b"MZ", "tool.exe", name="tool.exe", fields_first=fields_first
        )
        assert response.status == 422
        assert await response.json() == {
            "statusCode": 422,
            "message": ["File type not allowed: .exe"],
            "error": "Unprocessable Entity",
        }
        assert library_of(client).stats()["uploads"] == 0


async def test_oversize_stops_reading_early_with_413() -> None:
    config = SandboxConfig(clock=FakeClock(), max_file_bytes=100_000, max_video_bytes=100_000)
    async with sandbox_client(config) as client:
        response = await upload(client, b"x" * 3_000_000, "big.txt")
        assert response.status == 413
        assert await response.json() == {
            "statusCode": 413,
            "message": "File size exceeds the limit of 100000 bytes",
            "error": "Payload Too Large",
        }
        stats = library_of(client).stats()
        assert stats["upload_bytes_read"] <= 100_000 + CHUNK_BYTES
        assert stats["uploads"] == 0


async def test_default_limit_message_and_422_variant() -> None:
    config = SandboxConfig(clock=FakeClock(), oversize_status=422)
    async with sandbox_client(config) as client:
        response = await upload(client, b"x" * (25 * 1024 * 1024 + 1), "big.csv")
        assert response.status == 422
        assert (await response.json())["message"] == ["File size exceeds the limit of 25 MB"]


async def test_video_limit_is_separate() -> None:
    config = SandboxConfig(clock=FakeClock(), max_file_bytes=1000, max_video_bytes=5000)
    async with sandbox_client(config) as client:
        assert (await upload(client, b"v" * 3000, "clip.mov")).status == 201
        assert (await upload(client, b"i" * 3000, "photo.jpg")).status == 413
        # The limit follows the final name even when it arrives after the file part.
        assert (await upload(client, b"i" * 3000, "photo.jpg", name="clip.mp4")).status == 201


async def test_missing_file_hosted_and_non_multipart() -> None:
    async with sandbox_client() as client:
        form = FormData(default_to_multipart=True)
        form.add_field("name", "a.txt")
        response = await client.post("/medias/upload-file", data=form, headers=API_HEADERS)
        assert response.status == 422
        assert (await response.json())["message"] == ["file should not be empty"]

        for multipart in (True, False):
            form = FormData(default_to_multipart=multipart)
            form.add_field("hosted", "true")
            form.add_field("fileUrl", "https://example.com/a.png")
            response = await client.post("/medias/upload-file", data=form, headers=API_HEADERS)
            assert response.status == 422
            assert (await response.json())["message"] == [
                "hosted uploads are not supported by the sandbox"
            ]

        form = FormData(default_to_multipart=True)
        form.add_field("hosted", "true")
        response = await client.post("/medias/upload-file", data=form, headers=API_HEADERS)
        assert (await response.json())["message"] == ["fileUrl should not be empty"]

        response = await client.post(
            "/medias/upload-file", json={"name": "a.txt"}, headers=API_HEADERS
        )
        assert response.status == 422
        assert (await response.json())["message"] == ["file should not be empty"]

        bare = {"Content-Type": "multipart/form-data"}
        response = await client.post("/medias/upload-file", data=b"x", headers=API_HEADERS | bare)
        assert response.status == 400
        assert (await response.json())["message"] == "Multipart: Boundary not found"


async def test_upload_status_200_option() -> None:
    async with sandbox_client(SandboxConfig(clock=FakeClock(), upload_status=200)) as client:
        assert (await upload(client, b"x", "a.txt")).status == 200


async def test_public_base_url_option() -> None:
    config = SandboxConfig(clock=FakeClock(), public_base_url="https://cdn.example/")
    async with sandbox_client(config) as client:
        body = await (await upload(client, b"x", "a.txt")).json()
        assert body["url"].startswith(f"https://cdn.example/hosted/{LOCATION}/media/")


def _blob_dir_entries(data_dir: Path) -> list[str]:
    return sorted(entry.name for entry in (data_dir / "blobs").iterdir())


async def test_aborted_upload_leaves_nothing_behind(tmp_path: Path) -> None:
    async with sandbox_client(SandboxConfig(clock=FakeClock(), data_dir=tmp_path)) as client:
        _, writer = await asyncio.open_connection(client.host, client.port)
        part = (
            b"--bnd\r\n"
            b'Content-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n' + b"x" * 500
        )
        head = "".join(f"{name}: {value}\r\n" for name, value in API_HEADERS.items())
        writer.write(
            b"POST /medias/upload-file HTTP/1.1\r\nHost: x\r\n"
            + head.encode()
            + b"Content-Type: multipart/form-data; boundary=bnd\r\nContent-Length: 100000\r\n\r\n"
            + part
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        library = library_of(client)
        for _ in range(500):  # wait for the server to notice, not for time to pass
            if library.stats()["responses_per_status"]:
                break
            await asyncio.sleep(0.01)
        stats = library.stats()
        assert stats["responses_per_status"] == {"499": 1}
        assert stats["uploads"] == 0 and library.files() == []
        assert _blob_dir_entries(tmp_path) == []
