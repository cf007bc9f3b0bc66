"""Files already in the remote folder that a fresh state file knows nothing of.

A first sync (nothing recorded, no folder known) into a remote folder that already holds
files of the same paths is most often a lost or new state file for a library synced before:
going on would put a second copy beside each, with a new URL. So before anything is made,
the remote folders the plan needs are looked up (without creating any) and the files in
those that exist are compared by name with the uploads; any match stops the run, to be
overridden with --force. The copies found are never adopted, nor deleted: nothing proves
mediasync made them.
"""

from __future__ import annotations

from functools import partial

from mediasync.errors import GuardError
from mediasync.folders import find_folder, oldest_named
from mediasync.models import Action, RemoteItem, SyncState, parent_of, remote_name
from mediasync.remote import RemoteLibrary
from mediasync.retrying import RetryPolicy, call_with_retries

SHOWN = 3


def is_fresh(state: SyncState, known_folders: dict[str, str]) -> bool:
    """True when this state has never recorded anything: a first sync."""
    return not state.entries and not state.stale and not known_folders


async def check_for_strangers(
    remote: RemoteLibrary, root_folder: str, uploads: tuple[Action, ...], retry: RetryPolicy
) -> None:
    """Raise GuardError if the remote already holds files at the paths about to be uploaded."""
    found = await files_already_there(remote, root_folder, uploads, retry)
    if not found:
        return
    where = root_folder or "the library root"
    examples = ", ".join(found[:SHOWN]) + (", ..." if len(found) > SHOWN else "")
    raise GuardError(
        f"this is a first sync for this state file, but {where} already holds {len(found)} "
        f"of the files it would upload ({examples}): a lost or new state file? Going on would "
        "upload a second copy of each, with new URLs. Point [sync] state_file at the state "
        "that recorded them, or run again with --force to upload beside them (mediasync "
        "never deletes files it did not upload)"
    )


async def files_already_there(
    remote: RemoteLibrary, root_folder: str, uploads: tuple[Action, ...], retry: RetryPolicy
) -> list[str]:
    """Local paths of `uploads` whose remote folder exists and holds a file of that name."""
    try:
        root_id = await find_folder(remote, root_folder, retry)
    except LookupError:
        return []  # the usual first sync: nothing there yet, one request spent
    ids: dict[str, str | None] = {"": root_id}
    missing: set[str] = set()
    subfolders: dict[str | None, list[RemoteItem]] = {}

    async def folder_id(path: str) -> str | None:
        if path in ids:
            return ids[path]
        parent = parent_of(path)
        parent_id = await folder_id(parent)
        if parent in missing:
            missing.add(path)
            return None
        if parent_id not in subfolders:
            subfolders[parent_id] = await call_with_retries(
                retry, partial(remote.list_items, parent_id, folders=True)
            )
        match = oldest_named(subfolders[parent_id], remote_name(path))
        if match is None:
            missing.add(path)
            return None
        ids[path] = match.id
        return match.id

    by_folder: dict[str, list[Action]] = {}
    for action in uploads:
        by_folder.setdefault(parent_of(action.path), []).append(action)
    found: list[str] = []
    for folder, actions in sorted(by_folder.items()):
        fid = await folder_id(folder)
        if folder in missing:
            continue
        files = await call_with_retries(retry, partial(remote.list_items, fid, folders=False))
        names = {item.name for item in files}
        found.extend(a.path for a in actions if remote_name(a.path) in names)
    return sorted(found)

