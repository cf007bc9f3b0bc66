"""The hand-built upload form: the same bytes aiohttp's MultipartWriter would send."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp.helpers import content_disposition_header
from aiohttp.payload import BytesPayload

from mediasync.remote.form import UploadForm
from mediasync.remote.streaming import CHUNK_BYTES, Digest


class Collect:
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.writes.append(bytes(chunk))


async def written(payload: aiohttp.MultipartWriter | UploadForm) -> Collect:
    sink = Collect()
    await payload.write(sink)  # type: ignore[arg-type]
    return sink


async def test_the_form_is_what_multipart_writer_sends(tmp_path: Path) -> None:
    data = bytes(range(256)) * (CHUNK_BYTES // 100)  # three chunks
    path = tmp_path / "Café menu.png"
    path.write_bytes(data)
    fields = [("name", "Café menu.png"), ("parentId", "f1"), ("hosted", "false")]
    digest = Digest()
    form = UploadForm(fields, path, len(data), "Café menu.png", "image/png", digest)
    boundary = form.content_type.split("boundary=", 1)[1]

    reference = aiohttp.MultipartWriter("form-data", boundary=boundary)
    for name, value in fields:
        part = reference.append(value, {"Content-Type": "text/plain; charset=utf-8"})
        part.set_content_disposition("form-data", name=name)
    file_part = BytesPayload(data, content_type="image/png")
    file_part.headers["Content-Disposition"] = content_disposition_header(
        "form-data", quote_fields=False, name="file", filename="Café menu.png"
    )
    reference.append_payload(file_part)

    ours = b"".join((await written(form)).writes)
    assert ours == b"".join((await written(reference)).writes)
    assert form.size == len(ours)
    assert digest.size == len(data)


async def test_a_small_file_goes_out_in_one_write(tmp_path: Path) -> None:
    path = tmp_path / "a.png"
    path.write_bytes(b"x" * 1000)
    form = UploadForm([("name", "a.png")], path, 1000, "a.png", "image/png", Digest())
    assert len((await written(form)).writes) == 1
