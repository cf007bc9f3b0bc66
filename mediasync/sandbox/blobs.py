"""File contents, kept apart from metadata: in memory, or one file per media id on disk.

Uploads stream into a writer first and only become a blob once the upload is accepted, so a
rejected or aborted upload never leaves anything visible behind.
"""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

_INCOMING_PREFIX = ".incoming-"


class BlobWriter(ABC):
    def __init__(self) -> None:
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._write(chunk)
        self.size += len(chunk)

    @abstractmethod
    def _write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def commit(self, blob_id: str) -> None:
        """Make the written bytes the content of `blob_id`."""

    @abstractmethod
    def discard(self) -> None:
        """Drop the written bytes; safe to call more than once and after commit."""


class BlobStore(ABC):
    @abstractmethod
    def open_writer(self) -> BlobWriter: ...

    @abstractmethod
    def read(self, blob_id: str) -> bytes: ...

    @abstractmethod
    def path(self, blob_id: str) -> Path | None:
        """Where the bytes live on disk, if they do (lets the server stream big files)."""

    @abstractmethod
    def clear(self) -> None: ...


class _MemoryWriter(BlobWriter):
    def __init__(self, store: MemoryBlobStore) -> None:
        super().__init__()
        self._store = store
        self._buffer: bytearray | None = bytearray()

    def _write(self, chunk: bytes) -> None:
        if self._buffer is None:
            raise RuntimeError("writer already closed")
        self._buffer.extend(chunk)

    def commit(self, blob_id: str) -> None:
        if self._buffer is None:
            raise RuntimeError("writer already closed")
        self._store.blobs[blob_id] = bytes(self._buffer)
        self._buffer = None

    def discard(self) -> None:
        self._buffer = None


class MemoryBlobStore(BlobStore):
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def open_writer(self) -> BlobWriter:
        return _MemoryWriter(self)

    def read(self, blob_id: str) -> bytes:
        return self.blobs[blob_id]

    def path(self, blob_id: str) -> Path | None:
        return None

    def clear(self) -> None:
        self.blobs.clear()


class _FileWriter(BlobWriter):
    def __init__(self, directory: Path) -> None:
        super().__init__()
        self._directory = directory
        self._temp = directory / f"{_INCOMING_PREFIX}{uuid.uuid4().hex}"
        self._handle: BinaryIO | None = self._temp.open("wb")

    def _write(self, chunk: bytes) -> None:
        if self._handle is None:
            raise RuntimeError("writer already closed")
        self._handle.write(chunk)

    def commit(self, blob_id: str) -> None:
        if self._handle is None:
            raise RuntimeError("writer already closed")
        self._handle.close()
        self._handle = None
        os.replace(self._temp, self._directory / blob_id)

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self._temp.unlink(missing_ok=True)


class DirectoryBlobStore(BlobStore):
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        # Leftovers of uploads that were in flight when a previous run died.
        for leftover in directory.glob(f"{_INCOMING_PREFIX}*"):
            leftover.unlink(missing_ok=True)

    def open_writer(self) -> BlobWriter:
        return _FileWriter(self._directory)

    def read(self, blob_id: str) -> bytes:
        return (self._directory / blob_id).read_bytes()

    def path(self, blob_id: str) -> Path | None:
        return self._directory / blob_id

    def clear(self) -> None:
        # In-flight uploads keep their temp files; they commit into the emptied store.
        for blob in self._directory.iterdir():
            if blob.is_file() and not blob.name.startswith(_INCOMING_PREFIX):
                blob.unlink(missing_ok=True)
