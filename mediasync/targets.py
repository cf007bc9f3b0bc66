"""Targets: one config file, several (local folder, sub-account) pairs.

A config without `[targets.*]` is one unnamed target, exactly as before. With them, the
top-level sections are shared defaults and each `[targets.NAME]` overrides any of their keys:

    [remote]
    base_url = "https://services.leadconnectorhq.com"

    [targets.clinic]
    remote.location_id = "abc123"
    remote.token_env = "CLINIC_TOKEN"
    local.path = "clinic"

Each target gets its own state file (by default `<path>/.mediasync/<name>.db`, so two targets
may share a folder), its own lock and, at run time, its own rate limiter.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediasync.config import DEFAULTS, Settings, read_config, settings_from_mapping
from mediasync.errors import UsageError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


@dataclass(frozen=True, slots=True)
class Target:
    name: str  # "" for a config without [targets]
    settings: Settings

    @property
    def label(self) -> str:
        """What output lines start with: nothing for the single unnamed target."""
        return f"{self.name}: " if self.name else ""


def load_targets(path: Path) -> list[Target]:
    raw = read_config(path)
    base_dir = path.parent.resolve()
    named = raw.pop("targets", None)
    if named is None:
        return [Target("", settings_from_mapping(raw, base_dir, path))]
    if not isinstance(named, dict) or not named:
        raise UsageError('[targets] must hold tables like [targets.clinic], one per sub-account')
    targets = [_target(name, over, raw, base_dir, path) for name, over in named.items()]
    _refuse_overlaps(targets)
    return targets


def select(targets: list[Target], name: str | None) -> list[Target]:
    """The targets a command runs on: the one named by --target, or all of them."""
    if name is None:
        return targets
    for target in targets:
        if target.name == name:
            return [target]
    known = ", ".join(t.name for t in targets if t.name)
    if not known:
        raise UsageError(f"--target {name}: this config has no [targets] tables")
    raise UsageError(f"--target {name}: no such target; this config has {known}")


def only_one(targets: list[Target], command: str) -> Target:
    """For commands that show one library: refuse to guess which."""
    if len(targets) == 1:
        return targets[0]
    names = ", ".join(t.name for t in targets)
    raise UsageError(f"{command} shows one target at a time: add --target NAME ({names})")


def _target(
    name: str, over: object, shared: dict[str, Any], base_dir: Path, path: Path
) -> Target:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"[targets.{name}]: a target name is letters, digits, - and _ (like clinic-east)"
        )
    if not isinstance(over, dict):
        raise UsageError(f"[targets.{name}] must be a table of sections, like remote.location_id")
    merged = copy.deepcopy(shared)
    for section, keys in over.items():
        if section not in DEFAULTS or not isinstance(keys, dict):
            raise UsageError(
                f"[targets.{name}] {section}: write section.key = value, with a section of "
                f"{', '.join(DEFAULTS)}"
            )
        merged.setdefault(section, {}).update(keys)
    local_raw = merged.get("local", {}).get("path")
    if isinstance(local_raw, str) and local_raw:
        # Per-target files by default, so that two targets may share one local folder.
        private = Path(local_raw) / ".mediasync"
        sync, remote = merged.setdefault("sync", {}), merged.setdefault("remote", {})
        if not sync.get("state_file"):
            sync["state_file"] = str(private / f"{name}.db")
        if remote.get("auth") == "oauth" and not remote.get("oauth_file"):
            remote["oauth_file"] = str(private / f"{name}-oauth-token.json")
    try:
        settings = settings_from_mapping(merged, base_dir, path)
    except UsageError as exc:
        raise UsageError(f"[targets.{name}] {exc}") from exc
    return Target(name, settings)


def _refuse_overlaps(targets: list[Target]) -> None:
    seen_state: dict[Path, str] = {}
    seen_place: dict[tuple[str, str], str] = {}
    for target in targets:
        s = target.settings
        other = seen_state.setdefault(s.state_file, target.name)
        if other != target.name:
            raise UsageError(
                f"targets {other} and {target.name} share the state file {s.state_file}: "
                "give each its own [sync] state_file"
            )
        if s.oauth is not None:
            other = seen_state.setdefault(s.oauth.token_file, target.name)
            if other != target.name:
                raise UsageError(
                    f"targets {other} and {target.name} share the OAuth token file "
                    f"{s.oauth.token_file}: give each its own remote.oauth_file"
                )
        place = (s.location_id, s.root_folder)
        other = seen_place.setdefault(place, target.name)
        if other != target.name:
            raise UsageError(
                f"targets {other} and {target.name} both sync into location {s.location_id}, "
                f"folder {s.root_folder or '(top level)'}: give each its own remote.root_folder"
            )
