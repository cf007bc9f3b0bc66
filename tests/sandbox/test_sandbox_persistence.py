"""A data directory keeps the library across restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mediasync.sandbox import SandboxConfig
from mediasync.sandbox.library import METADATA_FILE
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


def _saved_state(data_dir: Path) -> tuple[dict[str, Any], list[Path]]:
    """The metadata document and any temp files a non-atomic write would leave behind."""
    document: dict[str, Any] = json.loads((data_dir / METADATA_FILE).read_text())
    return document, list(data_dir.glob("*.tmp"))


async def test_restart_keeps_files_folders_and_deletions(tmp_path: Path) -> None:
    config = SandboxConfig(clock=FakeClock(), data_dir=tmp_path)
    async with sandbox_client(config) as client:
        folder = await create_folder(client, "Docs")
        kept = await upload_ok(client, b"keep me", "a.txt", parent_id=folder)
        gone = await upload_ok(client, b"bye", "b.txt")
        params = {"altId": LOCATION, "altType": "location"}
        await client.delete(f"/medias/{gone}", params=params, headers=API_HEADERS)

    document, leftovers = _saved_state(tmp_path)
    assert len(document["records"]) == 3
    assert leftovers == []

    async with sandbox_client(config) as client:
        assert await list_names(client, parentId=folder) == ["a.txt"]
        assert await list_names(client) == []
        hosted = await client.get(f"/hosted/{LOCATION}/media/{kept}.txt")
        assert await hosted.read() == b"keep me"
        assert hosted.headers["Content-Type"] == "text/plain"
        [stored] = library_of(client).files()
        assert stored.content == b"keep me" and stored.path == "Docs/a.txt"
        # New ids keep sorting after the ones minted before the restart.
        assert await upload_ok(client, b"new", "c.txt") > gone


def _blob_files(data_dir: Path) -> list[Path]:
    return list((data_dir / "blobs").iterdir())


async def test_rejected_upload_leaves_no_blob(tmp_path: Path) -> None:
    config = SandboxConfig(clock=FakeClock(), data_dir=tmp_path, max_file_bytes=10)
    async with sandbox_client(config) as client:
        response = await upload(client, b"x" * 100, "a.txt")
        assert response.status == 413
    assert _blob_files(tmp_path) == []
