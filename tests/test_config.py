"""Config: defaults, validation, and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediasync.config import (
    DEFAULT_BASE_URL,
    MaxDelete,
    Secret,
    load_settings,
    parse_max_delete,
    read_token,
    settings_from_mapping,
)
from mediasync.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent


MB = 1024 * 1024


def minimal(**sections: dict[str, object]) -> dict[str, object]:
    raw: dict[str, object] = {"remote": {"location_id": "abc123"}, "local": {"path": "media"}}
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}  # type: ignore[dict-item]
    return raw


def test_defaults(tmp_path: Path) -> None:
    s = settings_from_mapping(minimal(), tmp_path)
    assert s.base_url == DEFAULT_BASE_URL
    assert s.token_env == "MEDIASYNC_TOKEN"
    assert s.root_folder == "mediasync"
    assert s.local_path == tmp_path / "media"
    assert s.state_file == tmp_path / "media" / ".mediasync" / "state.db"
    assert s.max_delete == MaxDelete(percent=50.0)
    assert s.types.limits["image"] == 25 * 1024 * 1024


def test_example_config_is_valid_and_documents_every_key() -> None:
    text = (ROOT / "config.example.toml").read_text()
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.location_id
    from mediasync.config import DEFAULTS

    for section, keys in DEFAULTS.items():
        assert f"[{section}]" in text
        for key in keys:
            assert f"\n{key} = " in text or f"\n# {key} = " in text, key


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"local": {"path": "m"}}, r"\[remote\] location_id is missing"),
        (minimal(remote={"location_id": "has space"}), r"location_id 'has space' is not"),
        (minimal(remote={"token_env": "pit-1234-abcd"}), r"never put the token itself"),
        (minimal(remote={"base_url": "services.example"}), r"must start with https://"),
        (
            minimal(sync={"concurency": 2}),
            r"unknown key \[sync\] concurency: did you mean concurrency",
        ),
        (minimal(sync={"concurrency": 0}), r"\[sync\] concurrency must be a whole number"),
        (minimal(sync={"max_delete": "lots"}), r"\[sync\] max_delete 'lots' is not valid"),
        (minimal(sync={"delete": "yes"}), r"\[sync\] delete must be true or false"),
        (minimal(sync={"grace_period": float("nan")}), r"\[sync\] grace_period must be a number"),
        (minimal(rules={"max_file_mb": float("inf")}), r"\[rules\] max_file_mb must be a number"),
        (minimal(sync={"missing_remote": "delete"}), r'must be "upload" or "report"'),
        (minimal(local={"ignore": "*.psd"}), r"\[local\] ignore must be a list"),
        (minimal(remote={"root_folder": "  "}), r"root_folder '  ': the folder name '  ' starts"),
        (minimal(remote={"root_folder": "site/ media"}), r"folder name ' media' starts or ends"),
        ({**minimal(), "extra": {}}, r"unknown config section \[extra\]"),
        (minimal(rules={"image_types": ["png", "exe"]}), r"image_types names \.exe, which is not"),
        (minimal(rules={"video_types": "mp4"}), r"\[rules\] video_types must be a list"),
        (minimal(rules={"mismatch": "guess"}), r'mismatch must be "send-true-type" or "reject"'),
        (minimal(rules={"max_font_mb": 0}), r"\[rules\] max_font_mb must be a number"),
        (
            minimal(remote={"api_version": "2021-07-28\nX-Injected: 1"}),
            r"\[remote\] api_version '2021-07-28\\nX-Injected: 1' is not an API version",
        ),
        (
            minimal(sync={"retry_deadline": 0}),
            r"^\[sync\] retry_deadline must be a number of at least 1$",
        ),
    ],
)
def test_errors_name_the_key(raw: dict[str, object], message: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=message):
        settings_from_mapping(raw, tmp_path)


@pytest.mark.parametrize("state_file", ["media/state.db", "media/sunset.png", "media/sub/s.db"])
def test_a_state_file_the_scan_would_meet_is_refused(state_file: str, tmp_path: Path) -> None:
    raw = minimal(local={"path": "media"}, sync={"state_file": state_file})
    with pytest.raises(UsageError, match=r"state_file .* is inside \[local\] path"):
        settings_from_mapping(raw, tmp_path)


@pytest.mark.parametrize(
    "state_file", ["", "media/.state/s.db", "media/.a/b/s.db", "elsewhere/s.db"]
)
def test_a_state_file_in_a_hidden_folder_or_outside_is_accepted(
    state_file: str, tmp_path: Path
) -> None:
    raw = minimal(local={"path": "media"}, sync={"state_file": state_file})
    settings = settings_from_mapping(raw, tmp_path)
    assert settings.state_file.name.endswith(".db")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_file_mb", 1e308),  # overflowed on the way to bytes
        ("max_video_mb", 1e20),
        ("max_image_mb", 100_000.5),
        ("max_audio_mb", float("nan")),
        ("max_document_mb", float("-inf")),
        ("max_font_mb", -5),
        ("max_file_mb", 0),
    ],
)
def test_a_size_limit_out_of_range_is_refused_saying_the_range(
    key: str, value: float, tmp_path: Path
) -> None:
    with pytest.raises(UsageError) as info:
        settings_from_mapping(minimal(rules={key: value}), tmp_path)
    assert str(info.value) == f"[rules] {key} must be a number of MB from 0.001 to 100000"


@pytest.mark.parametrize(
    ("category", "names", "said"),
    [
        ("image", ["png", "exe"], ".exe, which is not an image format"),
        ("audio", ["exe"], ".exe, which is not an audio format"),
        ("video", ["exe"], ".exe, which is not a video format"),
        ("document", ["exe"], ".exe, which is not a document format"),
        ("font", ["exe"], ".exe, which is not a font format"),
        ("image", ["exe", "bat"], ".bat, .exe, which are not image formats"),
    ],
)
def test_unknown_extensions_are_named_in_plain_english(
    category: str, names: list[str], said: str, tmp_path: Path
) -> None:
    with pytest.raises(UsageError) as info:
        settings_from_mapping(minimal(rules={f"{category}_types": names}), tmp_path)
    assert f"[rules] {category}_types names {said} the Media Library accepts: " in str(info.value)


def test_the_largest_size_limit_is_accepted(tmp_path: Path) -> None:
    types = settings_from_mapping(minimal(rules={"max_video_mb": 100_000}), tmp_path).types
    assert types.limits["video"] == 100_000 * MB


@pytest.mark.parametrize(
    "url",
    [
        "http://services.leadconnectorhq.com",
        "http://10.0.0.5:8787",
        "http://0.0.0.0:8787",
        "http://127.0.0.1.example.com",  # a name, not an address
    ],
)
def test_plain_http_to_another_host_is_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"base_url .* would send the token in cleartext"):
        settings_from_mapping(minimal(remote={"base_url": url}), tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1@example.com",  # the host is example.com
        "http://example.com@127.0.0.1",  # aiohttp refuses credentials beside our header
        "http://example.com\\@127.0.0.1",  # browsers and urlsplit disagree on the host
        "http://127.0.0.1:8787\n",
        "http://127.0.0.1:99999",
        "https://",
    ],
)
def test_a_malformed_or_ambiguous_base_url_is_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"base_url .* is not a URL like https://"):
        settings_from_mapping(minimal(remote={"base_url": url}), tmp_path)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787",
        "http://127.3.2.1:8787/",
        "http://localhost:8787",
        "http://LOCALHOST:8787",
        "http://[::1]:8787",
        "https://services.example",
    ],
)
def test_https_anywhere_and_plain_http_on_loopback_are_accepted(url: str, tmp_path: Path) -> None:
    settings = settings_from_mapping(minimal(remote={"base_url": url}), tmp_path)
    assert settings.base_url == url.rstrip("/")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50%", MaxDelete(percent=50.0)), (20, MaxDelete(count=20)), ("7", MaxDelete(count=7))],
)
def test_max_delete_forms(value: object, expected: MaxDelete) -> None:
    assert parse_max_delete(value) == expected
    assert expected.limit_for(10) == (5 if expected.percent else expected.count)


@pytest.mark.parametrize("value", ["\u00b2", "\u0665", "9" * 5000, "-3", "1e3", True, 2.5])
def test_a_max_delete_that_is_no_count_or_share_is_refused(value: object) -> None:
    with pytest.raises(UsageError, match=r"\[sync\] max_delete .* is not valid: set"):
        parse_max_delete(value)


def test_bad_toml_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[remote\nlocation_id = 1")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_settings(path)


def test_token_comes_from_the_environment_and_hides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from_mapping(minimal(remote={"token_env": "MY_TOKEN"}), tmp_path)
    monkeypatch.delenv("MY_TOKEN", raising=False)
    with pytest.raises(UsageError, match="set the environment variable MY_TOKEN"):
        read_token(settings)
    monkeypatch.setenv("MY_TOKEN", "pit-secret-value")
    token = read_token(settings)
    assert token == Secret("pit-secret-value")
    assert "pit-secret-value" not in repr(token) + str(token) + repr(settings)


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ("pit-secret\nvalue", "a control character"),
        ("pit-secret\x1bvalue", "a control character"),
        ("pit-secret\tvalue", "a control character"),
        ("pit-secret\x85value", "a control character"),
        ("pit-secret value", "a space"),
        ("pit-secret\u00e9value", "a character that is not plain ASCII"),
        # How Python shows bytes of the environment that are not UTF-8.
        ("pit-secret\udcffvalue", "a character that is not plain ASCII"),
    ],
)
def test_a_token_no_header_can_carry_is_refused_naming_only_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, flaw: str
) -> None:
    settings = settings_from_mapping(minimal(remote={"token_env": "MY_TOKEN"}), tmp_path)
    monkeypatch.setenv("MY_TOKEN", value)
    with pytest.raises(UsageError, match=f"environment variable MY_TOKEN holds {flaw}") as info:
        read_token(settings)
    assert "secret" not in str(info.value) and "\n" not in str(info.value)


def test_a_token_keeps_losing_the_line_end_it_was_pasted_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_from_mapping(minimal(), tmp_path)
    monkeypatch.setenv("MEDIASYNC_TOKEN", " pit-secret-value\r\n")
    assert read_token(settings) == Secret("pit-secret-value")


def test_rules_per_category(tmp_path: Path) -> None:
    raw = minimal(
        rules={
            "max_file_mb": 10,
            "max_video_mb": 500,
            "max_font_mb": 1,
            "image_types": ["PNG", ".jpg"],
            "audio_types": [],
            "mismatch": "reject",
        }
    )
    types = settings_from_mapping(raw, tmp_path).types
    assert dict(types.limits) == {
        "image": 10 * MB, "video": 500 * MB, "audio": 10 * MB, "document": 10 * MB, "font": MB
    }
    assert types.allowed["image"] == {"png", "jpg"}
    assert types.allowed["audio"] == frozenset()
    assert "pdf" in types.allowed["document"]
    assert types.mismatch == "reject"
    assert types.allows("png") and not types.allows("gif") and not types.allows("mp3")
