"""A sandbox in its own process, as a benchmark needs it: started with chosen limits, its CPU
read from /proc before and after each measured run, and reset between runs.
"""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.measure import cpu_seconds, peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
MEDIASYNC = ROOT / ".venv" / "bin" / "mediasync"
TOKEN = "bench-token"
LOCATION = "BenchLocation0000001"
# As good as no limit: the budget per 10 s and per day is never reached by a benchmark.
UNLIMITED = 1_000_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SandboxProcess:
    """`with SandboxProcess(["--rate-max", "100"]) as sandbox: ... sandbox.base_url ...`"""

    def __init__(self, extra_args: list[str]) -> None:
        port = free_port()
        self.process = subprocess.Popen(
            [
                str(MEDIASYNC),
                "sandbox",
                "--port",
                str(port),
                "--token",
                TOKEN,
                "--location-id",
                LOCATION,
                *extra_args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("sandbox: base_url="):
            self.process.kill()
            raise SystemExit(f"the sandbox did not start: {line}")
        self.base_url = line.split("=", 1)[1]

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.pid)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.base_url}/_sandbox/stats") as response:
            return dict(json.load(response))

    def reset(self) -> None:
        """An empty library, counters and budgets, so that each run starts alike."""
        request = urllib.request.Request(f"{self.base_url}/_sandbox/reset", method="POST")
        with urllib.request.urlopen(request) as response:
            response.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
