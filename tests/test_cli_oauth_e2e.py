"""OAuth end to end: `mediasync oauth ...` and `mediasync sync` through the real CLI against
the real sandbox, whose fast clock makes access tokens expire in the middle of a run."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediasync.cli import main
from mediasync.sandbox import TOKENS, BackgroundSandbox, SandboxConfig, TokenIssuer
from mediasync.tokenfile import read_token_file
from tests.helpers import example_files

LOCATION = "OauthE2eLocation0001"
DEFAULTS = SandboxConfig()
ENV = {
    "MEDIASYNC_CLIENT_ID": DEFAULTS.oauth_client_id,
    "MEDIASYNC_CLIENT_SECRET": DEFAULTS.oauth_client_secret,
    "MEDIASYNC_TOKEN": "",
}
TTL = 30
"""Sandbox seconds; the sandbox's clock moves one second each time it is read."""


class TickingClock:
    """Time that passes only as the sandbox looks at it: every request ages the tokens."""

    def __init__(self, start: float = 1_796_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self._now += 1.0
            return self._now


@pytest.fixture
def sandbox() -> Iterator[BackgroundSandbox]:
    config = SandboxConfig(location_id=LOCATION, access_token_ttl=TTL, clock=TickingClock())
    with BackgroundSandbox(config) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, media: Path, sandbox: BackgroundSandbox) -> Path:
    path = tmp_path / "mediasync.toml"
    path.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{sandbox.base_url}"\n'
        f'auth = "oauth"\noauth_file = "private/oauth.json"\n\n[local]\npath = "{media.name}"\n'
    )
    return path


def issuer(sandbox: BackgroundSandbox) -> TokenIssuer:
    return sandbox.app[TOKENS]


def run(config: Path, *args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(main, [*args, "-c", str(config)], env=ENV, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def assert_no_secret(result: Result, sandbox: BackgroundSandbox, token_file: Path) -> None:
    shown = result.output
    assert DEFAULTS.oauth_client_secret not in shown
    assert DEFAULTS.oauth_refresh_token not in shown
    assert "sbx-at-" not in shown and "sbx-rt-" not in shown
    if token_file.exists():
        tokens = read_token_file(token_file)
        assert tokens.refresh_token not in shown
        assert not tokens.access_token or tokens.access_token not in shown


def test_sync_survives_access_tokens_expiring_mid_run(
    config: Path, sandbox: BackgroundSandbox, tmp_path: Path
) -> None:
    token_file = tmp_path / "private" / "oauth.json"
    imported = run(config, "oauth", "import", stdin=f"{DEFAULTS.oauth_refresh_token}\n")
    assert imported.exit_code == 0, imported.output
    assert "stored the tokens of location OauthE2eLocation0001" in imported.output
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600

    synced = run(config, "sync")
    assert synced.exit_code == 0, synced.output
    assert f"sync: {len(example_files())} uploaded" in synced.output
    assert {f.name for f in sandbox.library.files()} == {Path(p).name for p in example_files()}
    # The first refresh fetched an access token; the others answered 401s mid-run.
    assert issuer(sandbox).refreshes >= 3
    stored = read_token_file(token_file)
    assert issuer(sandbox).live_refresh_tokens() == {stored.refresh_token}
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert_no_secret(synced, sandbox, token_file)

    again = run(config, "sync")
    assert again.exit_code == 0 and "0 uploaded" in again.output, again.output
    assert issuer(sandbox).live_refresh_tokens() == {read_token_file(token_file).refresh_token}

    status = run(config, "oauth", "status")
    assert status.exit_code == 0 and "location OauthE2eLocation0001" in status.output
    assert_no_secret(status, sandbox, token_file)


def test_a_dead_refresh_token_stops_the_run_saying_what_to_do(
    config: Path, sandbox: BackgroundSandbox, tmp_path: Path
) -> None:
    assert run(config, "oauth", "import", stdin="not-a-live-token\n").exit_code == 0
    result = run(config, "sync")
    assert result.exit_code == 3
    assert "refused the refresh token (400 invalid_grant)" in result.output
    assert "re-authorise the Marketplace app" in result.output
    assert "not-a-live-token" not in result.output


def test_exchange_then_sync(config: Path, sandbox: BackgroundSandbox, tmp_path: Path) -> None:
    token_file = tmp_path / "private" / "oauth.json"
    exchanged = run(
        config, "oauth", "exchange", "--code", DEFAULTS.oauth_code,
        "--redirect-uri", "http://localhost:8080/callback",
    )  # fmt: skip
    assert exchanged.exit_code == 0, exchanged.output
    assert issuer(sandbox).exchanges == 1
    assert read_token_file(token_file).access_token
    assert_no_secret(exchanged, sandbox, token_file)
    spent = run(
        config, "oauth", "exchange", "--code", DEFAULTS.oauth_code, "--redirect-uri", "x", "--force"
    )
    assert spent.exit_code == 3 and "refused the authorization code" in spent.output
    assert run(config, "sync").exit_code == 0


def test_import_refuses_to_overwrite_and_reads_json(
    config: Path, sandbox: BackgroundSandbox, tmp_path: Path
) -> None:
    token_file = tmp_path / "private" / "oauth.json"
    assert run(config, "oauth", "import", stdin="rt-one\n").exit_code == 0
    second = run(config, "oauth", "import", stdin="rt-two\n")
    assert second.exit_code == 2 and "--force" in second.output
    assert read_token_file(token_file).refresh_token == "rt-one"
    body = '{"access_token": "at-x", "refresh_token": "rt-x", "expires_in": 86399, '
    wrong = run(config, "oauth", "import", "--force", stdin=body + '"locationId": "other"}')
    assert wrong.exit_code == 2 and "for location other" in wrong.output
    ok = run(config, "oauth", "import", "--force", stdin=body + f'"locationId": "{LOCATION}"}}')
    assert ok.exit_code == 0, ok.output
    tokens = read_token_file(token_file)
    assert (tokens.access_token, tokens.refresh_token) == ("at-x", "rt-x")
    assert "rt-x" not in ok.output and "at-x" not in ok.output


@pytest.mark.parametrize(
    "stdin", ["rt-secret\x00one\n", '{"refresh_token": "rt-secret\\u0007one"}']
)
def test_import_refuses_a_token_no_request_could_carry(
    config: Path, tmp_path: Path, stdin: str
) -> None:
    result = run(config, "oauth", "import", stdin=stdin)
    assert result.exit_code == 2, result.output
    assert "holds a control character" in result.output and "secret" not in result.output
    assert not (tmp_path / "private" / "oauth.json").exists()


def test_a_client_secret_no_request_can_carry_stops_every_command_up_front(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "oauth", "import", stdin=f"{DEFAULTS.oauth_refresh_token}\n").exit_code == 0
    env = {**ENV, "MEDIASYNC_CLIENT_SECRET": f"{DEFAULTS.oauth_client_secret}\n2"}
    for args in (["sync"], ["doctor"], ["watch", "--log-format", "json"]):
        result = CliRunner().invoke(main, [*args[:1], "-c", str(config), *args[1:]], env=env)
        assert result.exit_code == 2, result.output
        assert "MEDIASYNC_CLIENT_SECRET holds a control character" in result.output
        assert DEFAULTS.oauth_client_secret not in result.output
    assert issuer(sandbox).refreshes == 0


def test_url_and_pit_configs(config: Path, tmp_path: Path) -> None:
    shown = run(config, "oauth", "url", "--redirect-uri", "https://example.com/cb")
    assert shown.exit_code == 0
    assert "chooselocation?response_type=code" in shown.output
    assert f"client_id={DEFAULTS.oauth_client_id}" in shown.output
    assert "scope=medias.readonly+medias.write" in shown.output
    pit = tmp_path / "pit.toml"
    pit.write_text('[remote]\nlocation_id = "x"\n[local]\npath = "media"\n')
    refused = run(pit, "oauth", "status")
    assert refused.exit_code == 2 and 'auth = "oauth"' in refused.output
