"""Running the sandbox for real: background thread, command line, and `serve`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from mediasync.sandbox import BackgroundSandbox, SandboxConfig
from mediasync.sandbox.cli import build_config_from_args
from tests.sandbox.sandbox_helpers import API_HEADERS, LOCATION

REPO_ROOT = Path(__file__).resolve().parents[2]


def _multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_background_sandbox_serves_on_a_real_port() -> None:
    with BackgroundSandbox(SandboxConfig()) as sandbox:
        assert sandbox.base_url.startswith("http://127.0.0.1:")
        assert not sandbox.base_url.endswith(":0")
        body, content_type = _multipart("hello.txt", b"hello")
        request = urllib.request.Request(
            f"{sandbox.base_url}/medias/upload-file",
            data=body,
            headers=API_HEADERS | {"Content-Type": content_type},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201
            url = json.load(response)["url"]
        assert url.startswith(f"{sandbox.base_url}/hosted/{LOCATION}/media/")
        with urllib.request.urlopen(url, timeout=5) as hosted:
            assert hosted.read() == b"hello"
        assert [f.name for f in sandbox.library.files()] == ["hello.txt"]
        base_url = sandbox.base_url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base_url}/_sandbox/stats", timeout=2)


def test_background_sandbox_reports_bind_failures() -> None:
    with BackgroundSandbox() as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError):
            BackgroundSandbox(port=port)


def test_build_config_from_args() -> None:
    config, host, port = build_config_from_args([])
    assert (host, port) == ("127.0.0.1", 8787)
    assert config == SandboxConfig()

    config, host, port = build_config_from_args(
        [
            "--host", "0.0.0.0", "--port", "0", "--token", "t", "--location-id", "loc",
            "--data", "/tmp/x", "--trial", "--daily-limit", "50", "--max-video-mb", "500",
            "--upload-status", "200", "--oversize-status", "422", "--retry-after",
        ]
    )  # fmt: skip
    assert (host, port) == ("0.0.0.0", 0)
    assert (config.token, config.location_id, config.data_dir) == ("t", "loc", Path("/tmp/x"))
    assert (config.rate_max, config.daily_limit) == (25, 50)
    assert config.max_video_bytes == 500 * 1024 * 1024
    assert config.max_file_bytes == 25 * 1024 * 1024
    assert (config.upload_status, config.oversize_status) == (200, 422)
    assert config.retry_after_on_429


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_module_entry_point_prints_banner_and_stops_on_sigterm() -> None:
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mediasync.sandbox", "--port", "0", "--token", "tok"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
        assert lines[0].startswith("sandbox: base_url=http://127.0.0.1:")
        assert lines[1] == "sandbox: token=tok"
        assert lines[2] == f"sandbox: location_id={SandboxConfig().location_id}"
        base_url = lines[0].split("=", 1)[1]
        with urllib.request.urlopen(f"{base_url}/_sandbox/stats", timeout=5) as response:
            assert json.load(response)["files"] == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "faults=" not in process.stdout.read()  # no fault line unless faults are on
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_banner_names_the_fault_plan_after_the_usual_three_lines() -> None:
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "mediasync.sandbox", "--port", "0", "--faults", "chaos",
         "--fault-seed", "3", "--slow-seconds", "0.5"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        assert lines[0].startswith("sandbox: base_url=http://127.0.0.1:")
        assert lines[1] == f"sandbox: token={SandboxConfig().token}"
        assert lines[2] == f"sandbox: location_id={SandboxConfig().location_id}"
        assert lines[3] == (
            "sandbox: faults=500:0.04,502:0.04,503:0.04,cmd401:0.03,reset:0.04,drop:0.05,"
            "slow:0.03,slow_seconds:0.5,seed:3"
        )
        base_url = lines[0].split("=", 1)[1]
        with urllib.request.urlopen(f"{base_url}/_sandbox/faults", timeout=5) as response:
            assert json.load(response)["seed"] == 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
