"""The media library of the sandbox's one location: records, contents, counters, and their
persistence to a data directory (metadata JSON + one blob file per id) when one is given.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from mediasync.sandbox.blobs import BlobStore, BlobWriter, DirectoryBlobStore, MemoryBlobStore
from mediasync.sandbox.config import Clock
from mediasync.sandbox.counters import Counters, Event
from mediasync.sandbox.ids import ObjectIdFactory
from mediasync.sandbox.records import Kind, MediaRecord, Status, StoredFile

SortField = Literal["createdAt", "name", "updatedAt"]
SORT_FIELDS: tuple[SortField, ...] = ("createdAt", "name", "updatedAt")

METADATA_FILE = "library.json"
BLOB_DIR = "blobs"
_FORMAT_VERSION = 1


class UnknownFolderError(LookupError):
    """A parentId that does not name a live folder."""


class Library:
    """All state a sandbox keeps about its media. Safe to call from any thread.

    Records are handed out as copies so callers can never bypass persistence.
    """

    def __init__(self, location_id: str, clock: Clock, data_dir: Path | None = None) -> None:
        self.location_id = location_id
        self.counters = Counters()
        self._clock = clock
        self._lock = threading.RLock()
        self._records: dict[str, MediaRecord] = {}
        self._ids = ObjectIdFactory(clock)
        self._metadata_path: Path | None = None
        self._blobs: BlobStore
        if data_dir is None:
            self._blobs = MemoryBlobStore()
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._blobs = DirectoryBlobStore(data_dir / BLOB_DIR)
            self._metadata_path = data_dir / METADATA_FILE
            self._load()

    # ---- reading -------------------------------------------------------------------------

    def get(self, media_id: str, *, include_inactive: bool = False) -> MediaRecord | None:
        with self._lock:
            record = self._records.get(media_id)
            if record is None or not (record.active or include_inactive):
                return None
            return replace(record)

    def is_live_folder(self, media_id: str) -> bool:
        record = self.get(media_id)
        return record is not None and record.kind == "folder"

    def list_items(
        self,
        *,
        kind: Kind,
        parent_id: str | None,
        everywhere: bool = False,
        query: str | None = None,
        sort_by: SortField = "createdAt",
        descending: bool = False,
    ) -> list[MediaRecord]:
        """Live items of one kind, in one folder (root when `parent_id` is None) or, with
        `everywhere`, in all folders; ties in the sort field are broken by id."""
        needle = query.casefold() if query else None
        with self._lock:
            matches = [
                replace(record)
                for record in self._records.values()
                if record.active
                and record.kind == kind
                and (everywhere or record.parent_id == parent_id)
                and (needle is None or needle in record.name.casefold())
            ]

        def sort_key(record: MediaRecord) -> tuple[Any, str]:
            if sort_by == "name":
                return (record.name, record.id)
            if sort_by == "updatedAt":
                return (record.updated_at, record.id)
            return (record.created_at, record.id)

        return sorted(matches, key=sort_key, reverse=descending)

    def files(self) -> list[StoredFile]:
        """Every live file with its bytes, oldest first."""
        with self._lock:
            live = sorted(
                (r for r in self._records.values() if r.active and r.kind == "file"),
                key=lambda r: r.id,
            )
            return [
                StoredFile(
                    id=record.id,
                    name=record.name,
                    parent_id=record.parent_id,
                    path=self._path_of(record),
                    content_type=record.content_type,
                    size=record.size,
                    created_at=record.created_at,
                    updated_at=record.updated_at,
                    url_path=record.hosted_path(self.location_id),
                    content=self._blobs.read(record.id),
                )
                for record in live
            ]

    def folders(self) -> list[MediaRecord]:
        """Every live folder, oldest first."""
        with self._lock:
            return [
                replace(record)
                for record in sorted(self._records.values(), key=lambda r: r.id)
                if record.active and record.kind == "folder"
            ]

    def path_of(self, media_id: str) -> str:
        with self._lock:
            return self._path_of(self._records[media_id])

    def content(self, file_id: str) -> bytes:
        return self._blobs.read(file_id)

    def blob_path(self, file_id: str) -> Path | None:
        return self._blobs.path(file_id)

    def duplicates(self) -> int:
        """Surplus live files sharing a (parentId, name) with another: 0 means no duplicates."""
        return self._surplus("file")

    def stats(self) -> dict[str, Any]:
        with self._lock:
            live = [r for r in self._records.values() if r.active]
            return self.counters.snapshot() | {
                "files": sum(1 for r in live if r.kind == "file"),
                "folders": sum(1 for r in live if r.kind == "folder"),
                "duplicates": self._surplus("file"),
                "duplicate_folders": self._surplus("folder"),
            }

    # ---- writing -------------------------------------------------------------------------

    def open_upload(self) -> BlobWriter:
        """A writer to stream an upload's bytes into before `add_file` accepts it."""
        return self._blobs.open_writer()

    def add_file(
        self,
        upload: BlobWriter,
        *,
        name: str,
        parent_id: str | None,
        content_type: str,
        extension: str,
    ) -> MediaRecord:
        """Turn a finished upload into a new file (duplicate names welcome, like GHL).

        Raises UnknownFolderError, after discarding the upload, if the parent is gone;
        checked here because the folder may vanish while the body is still streaming.
        """
        with self._lock:
            if parent_id is not None and not self.is_live_folder(parent_id):
                upload.discard()
                raise UnknownFolderError(parent_id)
            now = self._clock()
            record = MediaRecord(
                id=self._ids.new(),
                kind="file",
                name=name,
                parent_id=parent_id,
                created_at=now,
                updated_at=now,
                content_type=content_type,
                size=upload.size,
                extension=extension,
            )
            upload.commit(record.id)
            self._records[record.id] = record
            self._save()
            self.counters.add(Event.UPLOADS)
            return replace(record)

    def add_folder(self, *, name: str, parent_id: str | None) -> MediaRecord:
        with self._lock:
            if parent_id is not None and not self.is_live_folder(parent_id):
                raise UnknownFolderError(parent_id)
            now = self._clock()
            record = MediaRecord(
                id=self._ids.new(),
                kind="folder",
                name=name,
                parent_id=parent_id,
                created_at=now,
                updated_at=now,
            )
            self._records[record.id] = record
            self._save()
            self.counters.add(Event.FOLDERS_CREATED)
            return replace(record)

    def rename(self, media_id: str, name: str) -> MediaRecord | None:
        with self._lock:
            record = self._records.get(media_id)
            if record is None or not record.active:
                return None
            record.name = name
            record.updated_at = self._clock()
            self._save()
            self.counters.add(Event.RENAMES)
            return replace(record)

    def remove(self, media_id: str, status: Status = "deleted") -> bool:
        """Soft-delete (or trash) an item and, for a folder, everything below it.

        Contents are kept so `serve_deleted` can still serve them; False if already gone.
        """
        if status == "active":
            raise ValueError("remove() needs a deleted or trashed status")
        with self._lock:
            record = self._records.get(media_id)
            if record is None or not record.active:
                return False
            now = self._clock()
            doomed = {media_id}
            grew = True
            while grew:
                below = {r.id for r in self._records.values() if r.active and r.parent_id in doomed}
                grew = not below <= doomed
                doomed |= below
            for doomed_id in doomed:
                self._records[doomed_id].status = status
                self._records[doomed_id].updated_at = now
            self._save()
            self.counters.add(Event.DELETES)
            return True

    def reset(self) -> None:
        """Forget every item, its contents and all counters. Ids keep increasing."""
        with self._lock:
            self._records.clear()
            self._blobs.clear()
            self.counters.reset()
            self._save()

    # ---- internals -----------------------------------------------------------------------

    def _path_of(self, record: MediaRecord) -> str:
        parts = [record.name]
        seen = {record.id}
        parent_id = record.parent_id
        while parent_id is not None and parent_id not in seen:
            parent = self._records.get(parent_id)
            if parent is None:
                break
            parts.append(parent.name)
            seen.add(parent_id)
            parent_id = parent.parent_id
        return "/".join(reversed(parts))

    def _surplus(self, kind: Kind) -> int:
        with self._lock:
            groups = Counter(
                (r.parent_id, r.name) for r in self._records.values() if r.active and r.kind == kind
            )
        return sum(count - 1 for count in groups.values())

    def _load(self) -> None:
        assert self._metadata_path is not None
        if not self._metadata_path.exists():
            return
        document = json.loads(self._metadata_path.read_text(encoding="utf-8"))
        if document.get("format") != _FORMAT_VERSION:
            raise ValueError(f"{self._metadata_path}: unsupported format {document.get('format')}")
        for raw in document["records"]:
            record = MediaRecord.from_json(raw)
            self._records[record.id] = record
            self._ids.observe(record.id)

    def _save(self) -> None:
        if self._metadata_path is None:
            return
        document = {
            "format": _FORMAT_VERSION,
            "locationId": self.location_id,
            "records": [record.to_json() for record in self._records.values()],
        }
        # Write-then-rename so a crash leaves either the old or the new library, never half.
        # No fsync: surviving power loss is not worth slowing every test upload.
        temp = self._metadata_path.with_name(self._metadata_path.name + ".tmp")
        temp.write_text(json.dumps(document, indent=1), encoding="utf-8")
        os.replace(temp, self._metadata_path)
