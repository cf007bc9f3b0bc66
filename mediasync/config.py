"""Settings: read from a TOML file, validated, frozen. Every error names the key and the fix.

The token is never part of Settings: only the name of the environment variable that holds it is.
`read_token` fetches it at the composition root and wraps it in `Secret`, whose repr hides it.
"""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediasync.errors import UsageError
from mediasync.formats import CATEGORIES, FORMATS, VIDEO
from mediasync.rules import MISMATCH_CHOICES, SEND_TRUE_TYPE, TypeRules

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
DEFAULT_CONFIG_NAME = "mediasync.toml"
MB = 1024 * 1024
MAX_LIMIT_MB = 100_000
"""The largest size limit accepted, in MB: 200 times the largest file the Media Library takes
(500 MB of video, through API v3), so no real limit is refused."""

# Every key with its default; config.example.toml documents the same table.
DEFAULTS: dict[str, dict[str, Any]] = {
    "remote": {
        "location_id": None,
        "token_env": "MEDIASYNC_TOKEN",
        "base_url": DEFAULT_BASE_URL,
        "root_folder": "mediasync",
        "api_version": "2021-07-28",
        "timeout": 300.0,
        "auth": "pit",
        "oauth_file": "",
        "client_id_env": "MEDIASYNC_CLIENT_ID",
        "client_secret_env": "MEDIASYNC_CLIENT_SECRET",
        "token_url": "",
    },
    "local": {
        "path": None,
        "ignore": [],
        "follow_symlinks": False,
    },
    "sync": {
        "concurrency": 3,
        "delete": True,
        "max_delete": "50%",
        "state_file": "",
        "retry_attempts": 5,
        "retry_max_wait": 60.0,
        "retry_deadline": 900.0,
        "grace_period": 30.0,
        "remote_check_interval": 3600.0,
        "missing_remote": "upload",
        "delete_ignored": False,
    },
    "rules": {
        "max_file_mb": 25.0,
        "max_video_mb": 25.0,
        # None: the same as max_file_mb.
        "max_image_mb": None,
        "max_audio_mb": None,
        "max_document_mb": None,
        "max_font_mb": None,
        # None: every format of the category that the Media Library accepts.
        "image_types": None,
        "video_types": None,
        "audio_types": None,
        "document_types": None,
        "font_types": None,
        "mismatch": SEND_TRUE_TYPE,
    },
    "watch": {
        "settle": 2.0,
        "max_deferral": 60.0,
        "rescan_interval": 600.0,
        "health_interval": 300.0,
        "poll": False,
    },
}


@dataclass(frozen=True, slots=True)
class Secret:
    """A value that must never be printed, logged or stored."""

    value: str

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class MaxDelete:
    """The delete guard: a count of files or a share of the recorded ones."""

    count: int | None = None
    percent: float | None = None

    def limit_for(self, known: int) -> int:
        if self.count is not None:
            return self.count
        assert self.percent is not None
        return int(known * self.percent / 100)

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"


@dataclass(frozen=True, slots=True)
class WatchSettings:
    """[watch]: how `mediasync watch` waits for files to settle and looks for missed changes."""

    settle: float = 2.0
    max_deferral: float = 60.0
    rescan_interval: float = 600.0
    health_interval: float = 300.0
    poll: bool = False


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """[remote] auth = "oauth": where the tokens live and which variables hold the app's keys."""

    token_file: Path
    client_id_env: str
    client_secret_env: str
    token_url: str


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path | None
    location_id: str
    token_env: str
    base_url: str
    root_folder: str
    api_version: str
    timeout: float
    local_path: Path
    ignore: tuple[str, ...]
    follow_symlinks: bool
    concurrency: int
    delete: bool
    max_delete: MaxDelete
    state_file: Path
    retry_attempts: int
    retry_max_wait: float
    retry_deadline: float
    grace_period: float
    remote_check_interval: float
    restore_missing: bool
    delete_ignored: bool
    types: TypeRules
    watch: WatchSettings = field(default_factory=WatchSettings)
    oauth: OAuthSettings | None = None
    """None with `auth = "pit"`: the token is then the one in `token_env`."""


def find_config(explicit: str | None) -> Path:
    """The config file to read: -c, else $MEDIASYNC_CONFIG, else ./mediasync.toml."""
    candidate = explicit or os.environ.get("MEDIASYNC_CONFIG") or DEFAULT_CONFIG_NAME
    path = Path(candidate).expanduser()
    if not path.is_file():
        raise UsageError(
            f"config file {path} not found: pass -c FILE, or copy config.example.toml to "
            f"{DEFAULT_CONFIG_NAME} and edit it"
        )
    return path


def read_config(path: Path) -> dict[str, Any]:
    """The config file's TOML as a mapping, or a UsageError saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from exc


def load_settings(path: Path) -> Settings:
    base_dir = path.parent.resolve()
    return settings_from_mapping(read_config(path), base_dir=base_dir, config_path=path)


def settings_from_mapping(
    raw: dict[str, Any], base_dir: Path, config_path: Path | None = None
) -> Settings:
    values = _merge_defaults(raw)
    r, loc, s, rules = values["remote"], values["local"], values["sync"], values["rules"]
    w = values["watch"]

    location_id = _string(r, "remote", "location_id", required=True)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", location_id):
        raise UsageError(
            f"[remote] location_id {location_id!r} is not a location id: use the sub-account's "
            "id (letters and digits, from Settings → Business Profile or the sub-account URL)"
        )
    token_env = _string(r, "remote", "token_env")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token_env):
        raise UsageError(
            f"[remote] token_env must name an environment variable (like MEDIASYNC_TOKEN), "
            f"not {token_env!r}: never put the token itself in the config"
        )
    base_url = _api_url("base_url", _string(r, "remote", "base_url").rstrip("/"), "the token")
    root_folder = _root_folder(_string(r, "remote", "root_folder"))

    local_path_raw = _string(loc, "local", "path", required=True)
    local_path = (base_dir / Path(local_path_raw).expanduser()).resolve()
    ignore = loc["ignore"]
    if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
        raise UsageError('[local] ignore must be a list of glob patterns, like ["*.psd", "raw/*"]')

    concurrency = _int(s, "sync", "concurrency", low=1, high=32)
    state_raw = _string(s, "sync", "state_file")
    state_file = (
        (base_dir / Path(state_raw).expanduser()).resolve()
        if state_raw
        else local_path / ".mediasync" / "state.db"
    )
    _check_state_place(state_file, local_path)

    return Settings(
        config_path=config_path,
        location_id=location_id,
        token_env=token_env,
        base_url=base_url,
        root_folder=root_folder,
        api_version=_api_version(r),
        timeout=_number(r, "remote", "timeout", low=1),
        local_path=local_path,
        ignore=tuple(ignore),
        follow_symlinks=_bool(loc, "local", "follow_symlinks"),
        concurrency=concurrency,
        delete=_bool(s, "sync", "delete"),
        max_delete=parse_max_delete(s["max_delete"]),
        state_file=state_file,
        retry_attempts=_int(s, "sync", "retry_attempts", low=1, high=100),
        retry_max_wait=_number(s, "sync", "retry_max_wait", low=0),
        retry_deadline=_number(s, "sync", "retry_deadline", low=1),
        grace_period=_number(s, "sync", "grace_period", low=0),
        remote_check_interval=_number(s, "sync", "remote_check_interval", low=0),
        restore_missing=_choice(s, "sync", "missing_remote", ("upload", "report")) == "upload",
        delete_ignored=_bool(s, "sync", "delete_ignored"),
        types=_type_rules(rules),
        watch=_watch_settings(w),
        oauth=_oauth_settings(r, base_dir, base_url, local_path, state_file),
    )


def _type_rules(rules: dict[str, Any]) -> TypeRules:
    default_mb = _size_mb(rules, "max_file_mb")
    limits: dict[str, int] = {}
    allowed: dict[str, frozenset[str]] = {}
    for category in CATEGORIES:
        key = "max_video_mb" if category == VIDEO else f"max_{category}_mb"
        mb = default_mb if rules[key] is None else _size_mb(rules, key)
        limits[category] = int(mb * MB)
        if rules[f"{category}_types"] is not None:
            allowed[category] = _extensions(rules, category)
    mismatch = _choice(rules, "rules", "mismatch", MISMATCH_CHOICES)
    return TypeRules.of(allowed, limits, mismatch)


def _size_mb(rules: dict[str, Any], key: str) -> float:
    # Bounded above: a huge finite limit (1e308) overflowed when turned into bytes.
    return _number(rules, "rules", key, low=0.001, high=MAX_LIMIT_MB, unit=" of MB")


def _extensions(rules: dict[str, Any], category: str) -> frozenset[str]:
    key = f"{category}_types"
    value = rules[key]
    known = sorted(ext for ext, (cat, _) in FORMATS.items() if cat == category)
    if not isinstance(value, list) or not all(isinstance(e, str) for e in value):
        raise UsageError(f'[rules] {key} must be a list of extensions, like ["{known[0]}"]')
    wanted = {e.lower().lstrip(".") for e in value}
    unknown = sorted(wanted - set(known))
    if unknown:
        listed = ", ".join("." + e for e in unknown)
        which = (
            f"which is not {_article(category)} {category} format"
            if len(unknown) == 1
            else f"which are not {category} formats"
        )
        raise UsageError(
            f"[rules] {key} names {listed}, {which} the Media Library accepts: "
            f"choose from {', '.join(known)}"
        )
    return frozenset(wanted)


def _article(word: str) -> str:
    # Enough for the category names (image, audio, video, document, font).
    return "an" if word[0] in "aeiou" else "a"


def _oauth_settings(
    r: dict[str, Any], base_dir: Path, base_url: str, local_path: Path, state_file: Path
) -> OAuthSettings | None:
    if _choice(r, "remote", "auth", ("pit", "oauth")) == "pit":
        return None
    for key in ("client_id_env", "client_secret_env"):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", _string(r, "remote", key)):
            raise UsageError(
                f"[remote] {key} must name an environment variable (like "
                f"{DEFAULTS['remote'][key]}), not {r[key]!r}: never put the app's keys in "
                "the config"
            )
    token_url = _api_url(
        "token_url",
        _string(r, "remote", "token_url").rstrip("/") or f"{base_url}/oauth/token",
        "the app's keys and tokens",
        f" (or leave it out: it defaults to {base_url}/oauth/token)",
    )
    file_raw = _string(r, "remote", "oauth_file")
    # Beside the state by default: both are this machine's private data, covered by the run lock.
    token_file = (
        (base_dir / Path(file_raw).expanduser()).resolve()
        if file_raw
        else state_file.parent / "oauth-token.json"
    )
    if token_file.is_relative_to(local_path) and not token_file.is_relative_to(state_file.parent):
        raise UsageError(
            f"[remote] oauth_file {token_file} is inside [local] path, which is synced: leave "
            "oauth_file out (it then goes beside the state) or put it outside the folder"
        )
    return OAuthSettings(token_file, r["client_id_env"], r["client_secret_env"], token_url)


def _root_folder(raw: str) -> str:
    parts = [p for p in raw.split("/") if p]
    for part in parts:
        if part != part.strip() or part.endswith("."):
            raise UsageError(
                f"[remote] root_folder {raw!r}: the folder name {part!r} starts or ends with a "
                "space (or ends with a dot), which the library's names do not keep: remove it"
            )
    return "/".join(parts)


def _check_state_place(state_file: Path, local_path: Path) -> None:
    """Inside the synced folder, the state must sit in a hidden folder of its own (which the
    scan skips, as the default .mediasync): anywhere else its files, and its lock beside
    them, would be met by every scan as files to sync, and the folder holding it never synced."""
    if not state_file.is_relative_to(local_path):
        return
    inside = state_file.parent.relative_to(local_path).parts
    if not inside or not any(part.startswith(".") for part in inside):
        raise UsageError(
            f"[sync] state_file {state_file} is inside [local] path {local_path}, where it would "
            "be synced: leave state_file out (it then goes in the folder's .mediasync/), put "
            "it in a hidden folder there, or outside the synced folder"
        )


# What urlsplit and aiohttp's yarl could read differently (whitespace, which urlsplit drops;
# backslashes), and user:password@, which aiohttp refuses beside our Authorization header:
# nothing a real API URL needs.
_UNSAFE_IN_URL = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def _api_url(key: str, url: str, sent: str, hint: str = "") -> str:
    """`url`, if `sent` may travel to it: https://, or http:// to this very machine.

    Plain http carries credentials in cleartext, so it is only for the sandbox on loopback.
    """
    named = f"[remote] {key} {url!r}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        raise UsageError(f"{named} is not a URL like {DEFAULT_BASE_URL}{hint}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(
            f"{named} must start with https:// (http:// only for the sandbox on this machine){hint}"
        )
    if not parts.hostname or "@" in parts.netloc or _UNSAFE_IN_URL.search(url):
        raise UsageError(f"{named} is not a URL like {DEFAULT_BASE_URL}{hint}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(
            f"{named} would send {sent} in cleartext: use https://, or http:// only for the "
            "sandbox on this machine (localhost, 127.x.x.x or [::1])"
        )
    return url


def _api_version(r: dict[str, Any]) -> str:
    version = _string(r, "remote", "api_version")
    # Sent as the Version header: a control character in it made aiohttp raise mid-run.
    if not re.fullmatch(r"[A-Za-z0-9._-]+", version):
        raise UsageError(
            f"[remote] api_version {version!r} is not an API version: use "
            f"{DEFAULTS['remote']['api_version']} (or leave it out)"
        )
    return version


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _watch_settings(w: dict[str, Any]) -> WatchSettings:
    settle = _number(w, "watch", "settle", low=0)
    max_deferral = _number(w, "watch", "max_deferral", low=0)
    if max_deferral < settle:
        raise UsageError(
            f"[watch] max_deferral ({max_deferral:g} s) must be at least [watch] settle "
            f"({settle:g} s): it bounds how long a file that keeps changing waits"
        )
    return WatchSettings(
        settle=settle,
        max_deferral=max_deferral,
        rescan_interval=_number(w, "watch", "rescan_interval", low=1),
        health_interval=_number(w, "watch", "health_interval", low=1),
        poll=_bool(w, "watch", "poll"),
    )


def parse_max_delete(value: object) -> MaxDelete:
    fix = 'set [sync] max_delete to a share like "50%" or a count like 20'
    if isinstance(value, bool):
        raise UsageError(f"[sync] max_delete {value!r} is not valid: {fix}")
    if isinstance(value, int) and value >= 0:
        return MaxDelete(count=value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", value)
        if match and float(match.group(1)) <= 100:
            return MaxDelete(percent=float(match.group(1)))
        # ASCII digits, and few enough for int(): str.isdigit() let "²" through, and int()
        # refuses over 4300 digits; both raised ValueError as a traceback.
        if re.fullmatch(r"\s*[0-9]{1,18}\s*", value):
            return MaxDelete(count=int(value))
    raise UsageError(f"[sync] max_delete {value!r} is not valid: {fix}")


def read_token(settings: Settings) -> Secret:
    return secret_from_env(
        settings.token_env,
        "token",
        f"no token: set the environment variable {settings.token_env} to the sub-account's "
        "Private Integration Token (scopes medias.readonly and medias.write)",
    )


def secret_from_env(variable: str, what: str, missing: str) -> Secret:
    """The credential in `variable`; UsageError `missing` when it is unset or blank.

    Whitespace around it (the line end of a pasted or `$(cat file)` value) is dropped; inside it,
    anything `credential_flaw` finds is refused before it reaches an HTTP header.
    """
    value = os.environ.get(variable, "").strip()
    if not value:
        raise UsageError(missing)
    flaw = credential_flaw(value)
    if flaw is not None:
        # Named by its variable only: even a mangled credential is mostly the real one.
        raise UsageError(
            f"the environment variable {variable} holds {flaw}: set it to the {what} alone, "
            "on one line"
        )
    return Secret(value)


def credential_flaw(value: str) -> str | None:
    """What in `value` no token or app key can hold, or None when it is fine.

    Tokens and keys are visible ASCII (a Bearer token's b64token is a subset of it). Anything
    else is a pasting accident that HTTP cannot carry as it stands: aiohttp raises on a control
    character in a header, and its C writer silently drops what UTF-8 cannot encode (the
    surrogates of undecodable bytes), which would send another token than the one configured.
    """
    bad = next((c for c in value if not "!" <= c <= "~"), None)
    if bad is None:
        return None
    if bad == " ":
        return "a space"
    if unicodedata.category(bad) == "Cc":
        return "a control character (a line break, tab or the like)"
    return "a character that is not plain ASCII"


def _merge_defaults(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for section, value in raw.items():
        if section not in DEFAULTS:
            raise UsageError(f"unknown config section [{section}]{_suggest(section, DEFAULTS)}")
        if not isinstance(value, dict):
            raise UsageError(f"[{section}] must be a table, like [{section}] on a line of its own")
        for key in value:
            if key not in DEFAULTS[section]:
                hint = _suggest(key, DEFAULTS[section])
                raise UsageError(f"unknown key [{section}] {key}{hint}")
    for section, keys in DEFAULTS.items():
        given = raw.get(section, {})
        merged[section] = {key: given.get(key, default) for key, default in keys.items()}
    return merged


def _suggest(word: str, options: dict[str, Any]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f": did you mean {close[0]}?" if close else f": known ones are {', '.join(options)}"


def _string(table: dict[str, Any], section: str, key: str, required: bool = False) -> str:
    value = table[key]
    if value is None or (required and value == ""):
        raise UsageError(f'[{section}] {key} is missing: add {key} = "..." under [{section}]')
    if not isinstance(value, str):
        raise UsageError(f"[{section}] {key} must be a string in quotes, not {value!r}")
    return value


def _choice(table: dict[str, Any], section: str, key: str, options: tuple[str, ...]) -> str:
    value = table[key]
    if value not in options:
        listed = " or ".join(f'"{o}"' for o in options)
        raise UsageError(f"[{section}] {key} must be {listed}, not {value!r}")
    return str(value)


def _bool(table: dict[str, Any], section: str, key: str) -> bool:
    value = table[key]
    if not isinstance(value, bool):
        raise UsageError(f"[{section}] {key} must be true or false, not {value!r}")
    return value


def _int(table: dict[str, Any], section: str, key: str, low: int, high: int) -> int:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"[{section}] {key} must be a whole number from {low} to {high}")
    return value


def _number(
    table: dict[str, Any],
    section: str,
    key: str,
    low: float,
    high: float = math.inf,
    unit: str = "",
) -> float:
    value = table[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        span = f"of at least {low:g}" if high == math.inf else f"from {low:g} to {high:g}"
        raise UsageError(f"[{section}] {key} must be a number{unit} {span}")
    return float(value)
