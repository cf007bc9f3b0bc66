"""Throughput under the rate limit: sync 1,000 real PNG files to a sandbox that allows
100 requests per 10 s, and compare the time taken with the least the limit allows.

    python bench/throughput.py [--files 1000] [--rate-max 100]

The theoretical minimum: in a rolling window request i (counting from 0) cannot go before
floor(i / rate_max) intervals have passed, so the last of n requests goes no earlier than
floor((n - 1) / rate_max) * interval (requests themselves taken as instant).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEDIASYNC = ROOT / ".venv" / "bin" / "mediasync"
TOKEN = "bench-token"
LOCATION = "BenchLocation0000001"
INTERVAL_S = 10.0


def png(seed: int) -> bytes:
    """A small real PNG whose pixels depend on `seed`, so every file differs."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width = height = 16
    rows = b"".join(
        b"\x00" + bytes(((seed * 7 + x * 13 + y * 29) % 256) for x in range(width * 3))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sandbox(rate_max: int) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(MEDIASYNC),
            "sandbox",
            "--port",
            str(port),
            "--token",
            TOKEN,
            "--location-id",
            LOCATION,
            "--rate-max",
            str(rate_max),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("sandbox: base_url="):
        process.kill()
        raise SystemExit(f"the sandbox did not start: {line}")
    return process, line.split("=", 1)[1]


def stats(base_url: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{base_url}/_sandbox/stats") as response:
        return dict(json.load(response))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rate-max", type=int, default=100)
    args = parser.parse_args()

    sandbox, base_url = start_sandbox(args.rate_max)
    try:
        with tempfile.TemporaryDirectory(prefix="mediasync-bench-") as work:
            media = Path(work) / "media"
            for n in range(args.files):
                folder = media / f"batch-{n // 100:02d}"
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"image-{n:04d}.png").write_bytes(png(n))
            config = Path(work) / "mediasync.toml"
            config.write_text(
                f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{base_url}"\n'
                f'root_folder = "bench"\n\n[local]\npath = "media"\n'
            )
            env = {**os.environ, "MEDIASYNC_TOKEN": TOKEN}
            started = time.monotonic()
            run = subprocess.run(
                [str(MEDIASYNC), "sync", "-c", str(config)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.monotonic() - started
            summary = [line for line in run.stdout.splitlines() if line.startswith("sync:")]
            counters = stats(base_url)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)

    requests = int(str(counters["requests_total"]))
    minimum = (requests - 1) // args.rate_max * INTERVAL_S
    print(f"files: {args.files}, limit: {args.rate_max} requests per {INTERVAL_S:g} s")
    print(f"mediasync: {summary[-1] if summary else run.stdout[-500:]} (exit {run.returncode})")
    print(
        f"sandbox: {requests} requests, {counters['rate_limited']} answered 429, "
        f"{counters['uploads']} uploads, {counters['duplicates']} duplicates"
    )
    print(
        f"time: {elapsed:.1f} s; theoretical minimum {minimum:.1f} s; "
        f"{(elapsed / minimum - 1) * 100 if minimum else 0:+.1f}% over it"
    )
    within = minimum == 0 or elapsed <= minimum * 1.10
    ok = run.returncode == 0 and within and counters["duplicates"] == 0
    print("result:", "PASS (within 10% of the minimum, no failed files)" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
