"""Small real files made on the spot, and where the bundled example media lives."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "media"


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A real, decodable PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = (
        b"\x00" + bytes([(x * 40) % 256, (y * 40) % 256, 128]) * width
        for y in range(height)
        for x in [y]
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + chunk(b"IEND", b"")
    )


def example_files() -> list[str]:
    return sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*") if p.is_file())


class Clock:
    """A clock that only moves when something sleeps on it: tests record waits, never wait."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
