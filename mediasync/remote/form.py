"""The upload body: a multipart/form-data form whose text fields and part headers are built
once as bytes, with the file streamed from disk between them.

The bytes are those aiohttp's MultipartWriter sends (text fields first, each with its
Content-Type, then the file part), but written as the file's own chunks with the form's
framing joined on: one socket write for a small file instead of four per field.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

from aiohttp.abc import AbstractStreamWriter
from aiohttp.helpers import content_disposition_header
from aiohttp.payload import Payload

from mediasync.diskio import DiskAccess
from mediasync.remote.streaming import Digest, read_chunks

_TEXT = b"Content-Type: text/plain; charset=utf-8\r\n"


class UploadForm(Payload):
    """One attempt's form: built anew for every attempt, so each one rereads the file."""

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        path: Path,
        size: int,
        filename: str,
        content_type: str,
        digest: Digest,
        disk: DiskAccess | None = None,
    ) -> None:
        boundary = uuid.uuid4().hex
        self._path = path
        self._file_size = size
        self._digest = digest
        self._disk = disk
        dash = f"--{boundary}\r\n".encode()
        head = bytearray()
        for name, value in fields:
            disposition = content_disposition_header("form-data", name=name)
            head += dash + _TEXT + f"Content-Disposition: {disposition}\r\n\r\n".encode()
            head += value.encode() + b"\r\n"
        file_disposition = content_disposition_header(
            "form-data", quote_fields=False, name="file", filename=filename
        )
        head += dash + f"Content-Type: {content_type}\r\n".encode()
        head += f"Content-Disposition: {file_disposition}\r\n\r\n".encode()
        self._head = bytes(head)
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        super().__init__(path, content_type=f"multipart/form-data; boundary={boundary}")
        self._size = len(self._head) + size + len(self._tail)

    async def write(self, writer: AbstractStreamWriter) -> None:
        # The framing is joined onto the first and last chunks (a copy of at most one chunk
        # each) to spare socket writes: a file of one chunk goes out in a single write.
        head, left = self._head, self._file_size
        async for chunk in read_chunks(self._path, self._file_size, self._digest, self._disk):
            left -= len(chunk)
            if head or left == 0:
                chunk = head + chunk + (self._tail if left == 0 else b"")
                head = b""
            await writer.write(chunk)
        if left or head:
            await writer.write(head + self._tail)  # an empty file: no chunk came

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        await self.write(writer)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a streamed upload form cannot be decoded to text")

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        raise TypeError("a streamed upload form is never held in memory")
