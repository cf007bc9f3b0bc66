"""The seam between mediasync and the Media Library: the `RemoteLibrary` protocol.

`http.HttpLibrary` speaks the real API v2 to any base URL; `memory.MemoryLibrary` is its
in-memory twin for fast tests. One contract suite (tests/test_remote_contract.py) runs on both.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Protocol

from mediasync.models import RemoteItem, UploadResult
from mediasync.retrying import RetryPolicy, call_with_retries


class RemoteLibrary(Protocol):
    async def check_access(self) -> None:
        """Prove the token can read this location (one cheap request); raise AuthError if not."""

    async def list_items(self, parent_id: str | None, *, folders: bool) -> list[RemoteItem]:
        """Every live file (or folder) directly in `parent_id` (None: the library root)."""

    async def create_folder(self, name: str, parent_id: str | None) -> RemoteItem:
        """Create a folder and return it with its id."""

    async def upload(
        self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
    ) -> UploadResult:
        """Send `size` bytes of the file at `path`, streamed; one call is one attempt."""

    async def delete(self, remote_id: str) -> None:
        """Delete one file or folder; raise NotFoundError when it is already gone."""

    async def rename(self, remote_id: str, name: str) -> None:
        """Give a file or folder a new name; its id and hosted URL stay. NotFoundError if gone."""

    def server_clock_offset(self) -> float | None:
        """How far the service's clock is ahead of ours, as its answers' Date headers say
        (to a second or so); None until an answer said. Dates copies it made (delivery.py)."""

    async def hosted_sha256(self, url: str) -> str | None:
        """The sha256 of the bytes a hosted URL serves; None when they cannot be read. Proves
        a copy of unknown origin is ours before it is adopted (see delivery.py)."""

    async def aclose(self) -> None:
        """Release connections."""


async def walk_tree(
    remote: RemoteLibrary,
    parent_id: str | None = None,
    prefix: str = "",
    retry: RetryPolicy | None = None,
) -> list[tuple[str, RemoteItem]]:
    """Every folder and file below `parent_id`, as (relative path, item), folders first."""
    policy = retry or RetryPolicy()

    async def listing(folder_id: str | None, folders: bool) -> list[RemoteItem]:
        items = await call_with_retries(
            policy, partial(remote.list_items, folder_id, folders=folders)
        )
        return sorted(items, key=_by_name)

    found: list[tuple[str, RemoteItem]] = []
    for folder in await listing(parent_id, True):
        path = f"{prefix}{folder.name}"
        found.append((path, folder))
        found.extend(await walk_tree(remote, folder.id, f"{path}/", policy))
    for item in await listing(parent_id, False):
        found.append((f"{prefix}{item.name}", item))
    return found


def _by_name(item: RemoteItem) -> tuple[str, str]:
    return (item.name, item.id)
