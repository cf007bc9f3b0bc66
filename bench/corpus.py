"""Real-format media files for the benchmarks: PNG images and WAV recordings of chosen sizes,
each different (seeded noise), so that every upload carries real, incompressible bytes.
"""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

_PNG_WIDTH = 256
_ROW = 1 + _PNG_WIDTH * 3
_WAV_HEADER = 44
_BLOCK = 1024 * 1024


def png(size: int, seed: int) -> bytes:
    """A valid 256-pixel-wide RGB PNG of about `size` bytes (stored, so noise stays its size)."""
    rng = random.Random(seed)
    height = max(1, (size - 100) // _ROW)
    rows = b"".join(b"\x00" + rng.randbytes(_ROW - 1) for _ in range(height))
    header = struct.pack(">IIBBBBB", _PNG_WIDTH, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows, 0))
        + _png_chunk(b"IEND", b"")
    )


def tiny_png(seed: int) -> bytes:
    """A 2x1 PNG (about 70 bytes) whose pixels depend on `seed`: for trees of many files."""
    pixels = struct.pack(">I", seed & 0xFFFFFFFF)[1:] + struct.pack(">I", seed >> 8)[1:]
    header = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" + pixels))
        + _png_chunk(b"IEND", b"")
    )


def wav_header(data_bytes: int) -> bytes:
    """A 16-bit stereo 44.1 kHz PCM WAV header for `data_bytes` of samples."""
    rate, channels, bits = 44_100, 2, 16
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * bits // 8, 4, bits)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def wav(size: int, seed: int) -> bytes:
    data = (size - _WAV_HEADER) // 4 * 4
    return wav_header(data) + random.Random(seed).randbytes(data)


def write_large_wav(path: Path, size: int, seed: int = 1) -> None:
    """A WAV file of exactly `size` bytes written block by block (never all in memory)."""
    data = size - _WAV_HEADER
    block = random.Random(seed).randbytes(_BLOCK)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.write(wav_header(data))
        left = data
        while left > 0:
            piece = block[: min(_BLOCK, left)]
            handle.write(piece)
            left -= len(piece)


def small_tree(root: Path, files: int, seed: int = 2026) -> int:
    """`files` PNG and WAV files of 20-200 KB in 20 folders two deep; returns the bytes."""
    rng = random.Random(seed)
    total = 0
    for n in range(files):
        folder = root / f"campaign-{n % 5}" / f"set-{n // 5 % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(20 * 1024, 200 * 1024)
        if n % 4 == 3:
            body, name = wav(size, n), f"sound-{n:05d}.wav"
        else:
            body, name = png(size, n), f"image-{n:05d}.png"
        (folder / name).write_bytes(body)
        total += len(body)
    return total


def wide_tree(root: Path, files: int, per_folder: int = 500) -> None:
    """`files` tiny PNGs, `per_folder` to a folder, folders grouped ten to a parent."""
    for n in range(files):
        group = n // per_folder
        folder = root / f"year-{group // 10:02d}" / f"album-{group % 10}"
        if n % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"p{n:06d}.png").write_bytes(tiny_png(n))


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
