"""Streaming a local file as an upload body: read and hashed in worker threads, chunk by chunk.

Every attempt reads the file anew (see remote/form.py), so a retry always rereads it from disk.
A large file is opened, read and hashed in a worker thread, one hop per chunk, so the loop
only moves bytes to the socket; a file that fits one chunk is read as diskio.py decides.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

from mediasync.diskio import DiskAccess
from mediasync.errors import LocalFileError

CHUNK_BYTES = 256 * 1024


class Digest:
    """What was actually read from disk during one attempt."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _open_and_read(path: Path, count: int, digest: Digest) -> tuple[BinaryIO, bytes]:
    handle = path.open("rb", buffering=0)
    try:
        return handle, _read(handle, count, digest)
    except BaseException:
        handle.close()
        raise


def _read(handle: BinaryIO, count: int, digest: Digest) -> bytes:
    chunk = handle.read(count)
    digest.update(chunk)  # hashlib lets go of the GIL: hashing here overlaps the loop's work
    return chunk


async def read_chunks(
    path: Path, size: int, digest: Digest, disk: DiskAccess | None = None
) -> AsyncIterator[bytes]:
    """Exactly `size` bytes of the file, in chunks; a file that shrank under us is an error.

    A file that fits one chunk is read through `disk` (inline while the disk is fast, see
    diskio.py); larger ones always in threads, where their hashing overlaps the sending.
    """
    remaining = size
    first = min(CHUNK_BYTES, remaining)
    try:
        if disk is not None and size <= CHUNK_BYTES:
            handle, chunk = await disk.call(_open_and_read, path, first, digest)
        else:
            handle, chunk = await asyncio.to_thread(_open_and_read, path, first, digest)
        try:
            while True:
                if not chunk and remaining > 0:
                    raise LocalFileError(f"{path.name} shrank while it was being sent")
                remaining -= len(chunk)
                if chunk:
                    yield chunk
                if remaining <= 0:
                    return
                chunk = await asyncio.to_thread(_read, handle, min(CHUNK_BYTES, remaining), digest)
        finally:
            handle.close()
    except OSError as exc:
        raise LocalFileError(f"cannot read {path.name}: {exc.strerror}") from exc
