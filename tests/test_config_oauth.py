"""[remote] auth = "oauth": its keys, their defaults, and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediasync.config import OAuthSettings, settings_from_mapping
from mediasync.credentials import authorizer_for
from mediasync.errors import UsageError
from mediasync.remote.auth import StaticToken
from mediasync.remote.oauth import OAuthAuthorizer
from mediasync.tokenfile import TokenSet, write_token_file


def raw(**remote: object) -> dict[str, object]:
    return {"remote": {"location_id": "abc123", **remote}, "local": {"path": "media"}}


def test_pit_is_the_default_and_has_no_oauth_settings(tmp_path: Path) -> None:
    assert settings_from_mapping(raw(), tmp_path).oauth is None
    assert settings_from_mapping(raw(auth="pit", token_url="nonsense"), tmp_path).oauth is None


def test_oauth_defaults(tmp_path: Path) -> None:
    s = settings_from_mapping(raw(auth="oauth", base_url="http://127.0.0.1:8787/"), tmp_path)
    assert s.oauth == OAuthSettings(
        token_file=tmp_path / "media" / ".mediasync" / "oauth-token.json",
        client_id_env="MEDIASYNC_CLIENT_ID",
        client_secret_env="MEDIASYNC_CLIENT_SECRET",
        token_url="http://127.0.0.1:8787/oauth/token",
    )


def test_oauth_keys(tmp_path: Path) -> None:
    s = settings_from_mapping(
        raw(
            auth="oauth",
            oauth_file="secrets/tok.json",
            client_id_env="APP_ID",
            client_secret_env="APP_SECRET",
            token_url="https://auth.example/oauth/token",
        ),
        tmp_path,
    )
    assert s.oauth == OAuthSettings(
        tmp_path / "secrets" / "tok.json", "APP_ID", "APP_SECRET", "https://auth.example/oauth/token"
    )


@pytest.mark.parametrize(
    ("remote", "message"),
    [
        ({"auth": "jwt"}, r'\[remote\] auth must be "pit" or "oauth"'),
        ({"auth": "oauth", "client_id_env": "abc-123"}, r"\[remote\] client_id_env must name"),
        (
            {"auth": "oauth", "client_secret_env": "s3cr3t value"},
            r"\[remote\] client_secret_env must name.*never put the app's keys",
        ),
        ({"auth": "oauth", "token_url": "auth.example"}, r"\[remote\] token_url .* must start"),
        (
            {"auth": "oauth", "token_url": "http://auth.example/oauth/token"},
            r"\[remote\] token_url .* would send the app's keys and tokens in cleartext",
        ),
        (
            {"auth": "oauth", "token_url": "http://127.0.0.1:8787/oauth/token\r\n"},
            r"\[remote\] token_url .* is not a URL",
        ),
        ({"auth": "oauth", "oauth_file": 3}, r"\[remote\] oauth_file must be a string"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, remote: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        settings_from_mapping(raw(**remote), tmp_path)


def test_authorizer_for_picks_the_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIASYNC_TOKEN", "pit-x")
    assert isinstance(authorizer_for(settings_from_mapping(raw(), tmp_path)), StaticToken)

    s = settings_from_mapping(raw(auth="oauth"), tmp_path)
    assert s.oauth is not None
    monkeypatch.delenv("MEDIASYNC_CLIENT_ID", raising=False)
    with pytest.raises(UsageError, match="set the environment variable MEDIASYNC_CLIENT_ID"):
        authorizer_for(s)
    monkeypatch.setenv("MEDIASYNC_CLIENT_ID", "cid")
    monkeypatch.setenv("MEDIASYNC_CLIENT_SECRET", "csecret")
    with pytest.raises(UsageError, match=r"no OAuth token file .* `mediasync oauth import"):
        authorizer_for(s)
    write_token_file(s.oauth.token_file, TokenSet("", "rt", 0, "abc123"))
    assert isinstance(authorizer_for(s), OAuthAuthorizer)


@pytest.mark.parametrize("variable", ["MEDIASYNC_CLIENT_ID", "MEDIASYNC_CLIENT_SECRET"])
def test_an_app_key_no_request_can_carry_is_refused_naming_only_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    s = settings_from_mapping(raw(auth="oauth"), tmp_path)
    monkeypatch.setenv("MEDIASYNC_CLIENT_ID", "cid-value")
    monkeypatch.setenv("MEDIASYNC_CLIENT_SECRET", "csecret-value")
    monkeypatch.setenv(variable, "key\x01value")
    with pytest.raises(UsageError, match=f"{variable} holds a control character") as info:
        authorizer_for(s)
    assert "value" not in str(info.value)


def test_a_token_file_inside_the_synced_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"oauth_file .* is inside \[local\] path"):
        settings_from_mapping(raw(auth="oauth", oauth_file="media/tok.json"), tmp_path)
    inside_state = settings_from_mapping(
        raw(auth="oauth", oauth_file="media/.mediasync/tok.json"), tmp_path
    )
    assert inside_state.oauth is not None
