"""The ceiling for case 1: the least an uploader can do against the same sandbox. N workers
post every file of a folder with one shared aiohttp session, the multipart body built by hand
as one bytes object: no state, no checks, no retries, no folders.

    python -m bench.ceiling BASE_URL TOKEN FOLDER [--concurrency 3]

Exits 1 if any upload was not answered with a 2xx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp

_TYPES = {"png": "image/png", "wav": "audio/wav", "jpg": "image/jpeg"}


def multipart(name: str, data: bytes, content_type: str, boundary: str) -> bytes:
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{name}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="hosted"\r\n\r\nfalse\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode()


def files_under(folder: Path) -> Iterator[Path]:
    for parent, _, names in os.walk(folder):
        for name in sorted(names):
            yield Path(parent) / name


async def upload_all(base_url: str, token: str, folder: Path, concurrency: int) -> int:
    """Upload every file; return how many failed."""
    todo = iter(sorted(files_under(folder)))
    headers = {"Authorization": f"Bearer {token}", "Version": "2021-07-28"}
    failed = 0

    async def work(session: aiohttp.ClientSession) -> None:
        nonlocal failed
        for path in todo:
            boundary = uuid.uuid4().hex
            body = multipart(path.name, path.read_bytes(), _TYPES[path.suffix[1:]], boundary)
            async with session.post(
                f"{base_url}/medias/upload-file",
                data=body,
                headers={**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            ) as response:
                await response.read()
                failed += not 200 <= response.status < 300

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(work(session) for _ in range(concurrency)))
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("token")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--concurrency", type=int, default=3)
    args = parser.parse_args()
    failed = asyncio.run(upload_all(args.base_url, args.token, args.folder, args.concurrency))
    print(f"ceiling: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
