"""`mediasync doctor` through the real CLI against the real sandbox on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediasync.cli import main
from mediasync.config import load_settings
from mediasync.doctor import RATE_LIMIT_TRIES, Status, check_remote
from mediasync.errors import RateLimitedError
from mediasync.remote.memory import MemoryLibrary
from mediasync.retrying import RetryPolicy
from mediasync.sandbox import BackgroundSandbox, SandboxConfig

TOKEN = "pit-d0c70000-1111-2222-3333-444455556666"
LOCATION = "DoctorLocation000001"


@pytest.fixture
def sandbox() -> Iterator[BackgroundSandbox]:
    with BackgroundSandbox(SandboxConfig.trial(token=TOKEN, location_id=LOCATION)) as server:
        yield server


def write_config(tmp_path: Path, base_url: str, local: str = "media") -> Path:
    path = tmp_path / "mediasync.toml"
    path.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{base_url}"\n\n'
        f'[local]\npath = "{local}"\n'
    )
    return path


def doctor(config: Path, *args: str, token: str | None = TOKEN) -> Result:
    env = {"MEDIASYNC_TOKEN": token or ""}
    result = CliRunner().invoke(main, ["doctor", "-c", str(config), *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    if token:
        assert token not in result.output
    return result


def lines(result: Result) -> dict[str, str]:
    """check name → its line, from the `  status name detail` rows."""
    rows: dict[str, str] = {}
    for line in result.output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and line.startswith("  "):
            rows[parts[1]] = line
    return rows


def test_every_check_passes_and_the_write_check_leaves_nothing_behind(
    tmp_path: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    result = doctor(write_config(tmp_path, sandbox.base_url), "--write")
    assert result.exit_code == 0, result.output
    rows = lines(result)
    assert set(rows) == {"config", "local", "state", "token", "api", "read", "limits", "write"}
    assert all(row.split()[0] == "ok" for row in rows.values()), result.output
    assert "25 requests per 10 s" in rows["limits"] and "trial-account" in rows["limits"]
    assert "uploaded and deleted" in rows["write"]
    stats = sandbox.library.stats()
    assert stats["uploads"] == 1 and sandbox.library.files() == []
    assert "every check passed" in result.output


def test_without_write_nothing_is_uploaded(
    tmp_path: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    result = doctor(write_config(tmp_path, sandbox.base_url))
    assert result.exit_code == 0
    assert lines(result)["write"].split()[0] == "skip"
    assert sandbox.library.stats()["uploads"] == 0


def test_a_refused_token_says_what_to_fix_and_exits_3(
    tmp_path: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    result = doctor(write_config(tmp_path, sandbox.base_url), token="pit-wrong")
    assert result.exit_code == 3
    rows = lines(result)
    assert rows["api"].split()[0] == "ok"
    assert rows["read"].split()[0] == "FAIL" and "Private Integration Token" in rows["read"]


def test_a_missing_token_variable_and_folder_are_each_named(
    tmp_path: Path, sandbox: BackgroundSandbox
) -> None:
    result = doctor(write_config(tmp_path, sandbox.base_url, local="nowhere"), token=None)
    rows = lines(result)
    assert rows["local"].split()[0] == "FAIL" and "does not exist" in rows["local"]
    assert rows["token"].split()[0] == "FAIL" and "MEDIASYNC_TOKEN" in rows["token"]
    assert "api" not in rows  # no request without a token
    assert result.exit_code == 3  # the first problem's code: the folder
    assert "2 problems to fix" in result.output


def test_a_token_with_a_control_character_fails_the_token_check_before_any_request(
    tmp_path: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    result = doctor(write_config(tmp_path, sandbox.base_url), token=f"{TOKEN}\nX")
    rows = lines(result)
    assert rows["token"].split()[0] == "FAIL", result.output
    assert "MEDIASYNC_TOKEN holds a control character" in rows["token"]
    assert TOKEN not in result.output and "api" not in rows
    assert result.exit_code == 2


def test_an_unreachable_service_points_at_base_url(tmp_path: Path, media: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the socket closes
    result = doctor(write_config(tmp_path, f"http://127.0.0.1:{port}"))
    row = lines(result)["api"]
    assert row.split()[0] == "FAIL" and "base_url" in row
    assert result.exit_code == 1  # as a sync that cannot reach the service


def test_a_bad_config_is_reported_as_the_config_check(tmp_path: Path) -> None:
    config = tmp_path / "mediasync.toml"
    config.write_text('[remote]\nlocation_idd = "x"\n')
    result = doctor(config)
    assert result.exit_code == 2
    assert lines(result)["config"].split()[0] == "FAIL"


@pytest.mark.parametrize("refusals", [1, RATE_LIMIT_TRIES])
async def test_a_spent_rate_limit_is_waited_out_not_called_an_outage(
    tmp_path: Path, media: Path, refusals: int
) -> None:
    settings = load_settings(write_config(tmp_path, "https://services.leadconnectorhq.com"))
    remote = MemoryLibrary()
    for _ in range(refusals):
        remote.fail_next("check_access", RateLimitedError("GET /medias/files: 429 Too Many"))
    checks = await check_remote(remote, settings, RetryPolicy(), lambda: {}, write=False)
    api = checks[0]
    if refusals < RATE_LIMIT_TRIES:
        assert api.status is Status.PASS and "1 rate-limited (429)" in api.detail
    else:
        assert api.status is Status.FAIL and "rate limit stayed spent" in api.detail
        assert "the service is failing" not in api.detail
    assert remote.calls == ["check_access"] * min(refusals + 1, RATE_LIMIT_TRIES)
