"""`MemoryLibrary`: an in-memory twin of the Media Library for fast tests.

It keeps the contract of the real service as the sandbox emulates it (ids, folders, type and
size checks, 404 on a second delete) and lets a test script failures into chosen calls.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mediasync.errors import NotFoundError, RejectedError
from mediasync.models import RemoteItem, UploadResult
from mediasync.remote.streaming import Digest, read_chunks
from mediasync.rules import accepted_extensions, category_of_extension, extension_of

_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class StoredItem:
    item: RemoteItem
    content: bytes = b""
    content_type: str = ""
    deleted: bool = False


@dataclass
class Fault:
    error: Exception
    after_store: bool = False


@dataclass
class MemoryLibrary:
    max_file_bytes: int = 25 * 1024 * 1024
    max_video_bytes: int = 25 * 1024 * 1024
    items: dict[str, StoredItem] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    _faults: dict[str, deque[Fault]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # Dates new items (as the service's clock would); None: a made-up date a second apart.
    clock: Callable[[], float] | None = None

    def fail_next(self, operation: str, error: Exception, *, after_store: bool = False) -> None:
        """Make the next `operation` call raise `error` (after storing the upload, if asked)."""
        self._faults.setdefault(operation, deque()).append(Fault(error, after_store))

    def files(self) -> list[StoredItem]:
        return [s for s in self.items.values() if not s.deleted and not s.item.is_folder]

    def add_foreign(self, name: str, content: bytes, parent_id: str | None = None) -> str:
        """A file put in the library by someone else (the web app, another tool)."""
        stored = self._store(name, parent_id, False, content, "application/octet-stream")
        return stored.item.id

    async def check_access(self) -> None:
        self._enter("check_access")

    async def list_items(self, parent_id: str | None, *, folders: bool) -> list[RemoteItem]:
        self._enter("list_items")
        return [
            s.item
            for s in self.items.values()
            if not s.deleted and s.item.is_folder == folders and s.item.parent_id == parent_id
        ]

    async def create_folder(self, name: str, parent_id: str | None) -> RemoteItem:
        fault = self._enter("create_folder")
        self._require_folder(parent_id)
        stored = self._store(name, parent_id, True, b"", "")
        self._raise_after(fault)
        return stored.item

    async def upload(
        self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
    ) -> UploadResult:
        fault = self._enter("upload")
        self._require_folder(parent_id)
        ext = extension_of(name)
        if ext not in accepted_extensions():
            raise RejectedError(f"upload: 422 File type not allowed: .{ext}", 422)
        limit = (
            self.max_video_bytes if category_of_extension(ext) == "video" else self.max_file_bytes
        )
        digest = Digest()
        chunks = [chunk async for chunk in read_chunks(path, size, digest)]
        if digest.size > limit:
            raise RejectedError("upload: 413 File size exceeds the limit", 413)
        stored = self._store(name, parent_id, False, b"".join(chunks), content_type)
        self._raise_after(fault)
        assert stored.item.url is not None
        return UploadResult(stored.item.id, stored.item.url, digest.hexdigest(), digest.size)

    async def delete(self, remote_id: str) -> None:
        fault = self._enter("delete")
        stored = self.items.get(remote_id)
        if stored is None or stored.deleted:
            raise NotFoundError(f"DELETE /medias/{remote_id}: 404 Media not found", 404)
        stored.deleted = True
        self._raise_after(fault)

    async def rename(self, remote_id: str, name: str) -> None:
        fault = self._enter("rename")
        stored = self.items.get(remote_id)
        if stored is None or stored.deleted:
            raise NotFoundError(f"POST /medias/{remote_id}: 404 Media not found", 404)
        stored.item = replace(stored.item, name=name)
        self._raise_after(fault)

    def server_clock_offset(self) -> float | None:
        # Dated by the caller's own clock, or by made-up dates no clock can be compared with.
        return 0.0 if self.clock is not None else None

    async def hosted_sha256(self, url: str) -> str | None:
        self.calls.append("hosted_sha256")
        for stored in self.items.values():
            if stored.item.url == url and not stored.deleted:
                return hashlib.sha256(stored.content).hexdigest()
        return None

    async def aclose(self) -> None:
        return None

    def _enter(self, operation: str) -> Fault | None:
        self.calls.append(operation)
        queue = self._faults.get(operation)
        fault = queue.popleft() if queue else None
        if fault is not None and not fault.after_store:
            raise fault.error
        return fault

    @staticmethod
    def _raise_after(fault: Fault | None) -> None:
        if fault is not None:
            raise fault.error

    def _require_folder(self, parent_id: str | None) -> None:
        if parent_id is None:
            return
        parent = self.items.get(parent_id)
        if parent is None or parent.deleted or not parent.item.is_folder:
            raise RejectedError(f"422 parentId {parent_id} is not a folder", 422)

    def _store(
        self, name: str, parent_id: str | None, is_folder: bool, content: bytes, content_type: str
    ) -> StoredItem:
        remote_id = f"{next(self._ids):024x}"
        url = None if is_folder else f"memory://media/{remote_id}.{extension_of(name)}"
        moment = (
            datetime.fromtimestamp(self.clock(), UTC)
            if self.clock is not None
            else _EPOCH + timedelta(seconds=len(self.items))
        )
        created = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
        item = RemoteItem(remote_id, name, parent_id, is_folder, url, created)
        stored = StoredItem(item, content, content_type)
        self.items[remote_id] = stored
        return stored
