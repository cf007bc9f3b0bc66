"""The OAuth token file: owner-only, atomic replacement, refusals that say what to do."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mediasync.errors import UsageError
from mediasync.tokenfile import TokenSet, read_token_file, write_token_file

TOKENS = TokenSet("at-secret-1", "rt-secret-1", 1_800_000_000.0, "loc1", 1_799_913_601.0)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_is_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "new-dir" / "oauth.json"
    old = os.umask(0)
    try:
        write_token_file(path, TOKENS)
    finally:
        os.umask(old)
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    assert read_token_file(path) == TOKENS
    assert json.loads(path.read_text()) == {
        "access_token": "at-secret-1",
        "refresh_token": "rt-secret-1",
        "expires_at": 1_800_000_000.0,
        "issued_at": 1_799_913_601.0,
        "location_id": "loc1",
    }


def test_replacing_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "oauth.json"
    write_token_file(path, TOKENS)
    newer = TokenSet("at-2", "rt-2", 1.0, "loc1")
    write_token_file(path, newer)
    assert read_token_file(path) == newer
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oauth.json"]


def test_a_failed_replace_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "oauth.json"
    write_token_file(path, TOKENS)

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_token_file(path, TokenSet("at-2", "rt-2", 1.0, "loc1"))
    assert read_token_file(path) == TOKENS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oauth.json"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "oauth.json"
    write_token_file(path, TOKENS)
    path.chmod(mode)
    with pytest.raises(UsageError, match=f"can be read by others .*chmod 600 {path}"):
        read_token_file(path)


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no OAuth token file .*mediasync oauth import"):
        read_token_file(tmp_path / "absent.json")


@pytest.mark.parametrize(
    "text",
    ['{"access_token": "at-secret-9", "refresh_token": 5}', "at-secret-9 not json", "[]"],
)
def test_a_bad_file_is_refused_without_quoting_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "oauth.json"
    path.write_text(text)
    path.chmod(0o600)
    with pytest.raises(UsageError, match="is not valid: run `mediasync oauth import`") as info:
        read_token_file(path)
    assert "at-secret-9" not in str(info.value)


def test_a_file_without_refresh_token_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "oauth.json"
    write_token_file(path, TokenSet("at", "", 0, "loc1"))
    with pytest.raises(UsageError, match="holds no refresh token"):
        read_token_file(path)


@pytest.mark.parametrize(
    "tokens",
    [TokenSet("at-secret-9\nX", "rt", 0, "loc1"), TokenSet("", "rt-secret-9\x00", 0, "loc1")],
)
def test_a_token_no_header_can_carry_is_refused_without_quoting_it(
    tmp_path: Path, tokens: TokenSet
) -> None:
    path = tmp_path / "oauth.json"
    write_token_file(path, tokens)
    with pytest.raises(UsageError, match="holds a token with a control character") as info:
        read_token_file(path)
    assert "secret-9" not in str(info.value)


def test_repr_hides_the_tokens() -> None:
    shown = repr(TOKENS) + str(TOKENS)
    assert "secret" not in shown and "loc1" in shown


def test_a_symlinked_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    write_token_file(real, TOKENS)
    link = tmp_path / "oauth.json"
    link.symlink_to(real)
    with pytest.raises(UsageError, match="is a symbolic link: set \\[remote\\] oauth_file"):
        read_token_file(link)
