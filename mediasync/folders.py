"""Remote folders for local folders: found by name or created on demand, ids kept in the state.

A local folder "a/b" lives at remote path "<root_folder>/a/b". Lookups list the parent first
and reuse the oldest folder of that name, so a rerun never creates a second copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import partial

from mediasync.models import RemoteItem, parent_of, remote_name
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.state import StateStore


def remote_path(root_folder: str, local_folder: str) -> str:
    return "/".join(p for p in (root_folder, local_folder) if p)


async def ensure_folders(
    remote: RemoteLibrary,
    store: StateStore,
    root_folder: str,
    local_folders: Iterable[str],
    retry: RetryPolicy,
    stop: asyncio.Event | None = None,
) -> dict[str, str | None]:
    """Map "" and each of `local_folders` to a remote folder id (None: the library root).

    Once `stop` is set no further folder is made; the map is then incomplete.
    """
    known: dict[str, str | None] = {"": None, **store.folders()}

    async def resolve(path: str) -> str | None:
        if path in known:
            return known[path]
        parent_id = await resolve(parent_of(path))
        find_or_make = partial(_find_or_create, remote, remote_name(path), parent_id)
        match = await call_with_retries(retry, find_or_make)
        store.set_folder(path, match.id)
        known[path] = match.id
        return match.id

    ids: dict[str, str | None] = {}
    for folder in ("", *local_folders):
        if stop is not None and stop.is_set():
            break
        ids[folder] = await resolve(remote_path(root_folder, folder))
    return ids


async def find_folder(remote: RemoteLibrary, path: str, retry: RetryPolicy) -> str | None:
    """The id of an existing remote folder path, without creating anything; "" is the root."""
    folder_id: str | None = None
    for name in (p for p in path.split("/") if p):
        siblings = await call_with_retries(
            retry, partial(remote.list_items, folder_id, folders=True)
        )
        match = oldest_named(siblings, name)
        if match is None:
            raise LookupError(path)
        folder_id = match.id
    return folder_id


async def _find_or_create(remote: RemoteLibrary, name: str, parent_id: str | None) -> RemoteItem:
    """One attempt: reuse the folder if it is there, else make it.

    Looking first on every attempt means a create whose answer was lost is not repeated.
    """
    match = oldest_named(await remote.list_items(parent_id, folders=True), name)
    return match if match is not None else await remote.create_folder(name, parent_id)


def oldest_named(items: list[RemoteItem], name: str) -> RemoteItem | None:
    same = [i for i in items if i.name == name]
    return min(same, key=lambda i: (i.created_at or "", i.id)) if same else None
