"""Several targets in one config: loading by table, and one run syncing two sub-accounts, each
against its own real sandbox with its own lock, state and rate limiter."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediasync.cli import main
from mediasync.errors import UsageError
from mediasync.sandbox import BackgroundSandbox, SandboxConfig
from mediasync.state import hold_lock
from mediasync.targets import load_targets, only_one, select
from tests.helpers import EXAMPLES, example_files

SHARED = '[remote]\nroot_folder = "site"\n\n[sync]\nconcurrency = 2\n\n'


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mediasync.toml"
    path.write_text(text)
    return path


def two(tmp_path: Path, extra_a: str = "", extra_b: str = "") -> Path:
    return config(
        tmp_path,
        SHARED
        + '[targets.east]\nremote.location_id = "EastLoc"\nremote.token_env = "EAST_TOKEN"\n'
        + f'local.path = "east"\n{extra_a}\n'
        + '[targets.west]\nremote.location_id = "WestLoc"\nremote.token_env = "WEST_TOKEN"\n'
        + f'local.path = "west"\n{extra_b}\n',
    )


def test_a_config_without_targets_is_one_unnamed_target(tmp_path: Path) -> None:
    path = config(tmp_path, '[remote]\nlocation_id = "Loc1"\n\n[local]\npath = "media"\n')
    (target,) = load_targets(path)
    assert target.name == "" and target.label == ""
    assert target.settings.state_file == tmp_path / "media" / ".mediasync" / "state.db"


def test_targets_take_shared_sections_and_override_them(tmp_path: Path) -> None:
    east, west = load_targets(two(tmp_path, extra_b="sync.concurrency = 5"))
    assert (east.name, west.name) == ("east", "west")
    assert east.settings.root_folder == west.settings.root_folder == "site"
    assert (east.settings.concurrency, west.settings.concurrency) == (2, 5)
    assert east.settings.token_env == "EAST_TOKEN" and west.settings.location_id == "WestLoc"
    assert east.settings.state_file == tmp_path / "east" / ".mediasync" / "east.db"
    assert west.label == "west: "


def test_two_targets_may_share_a_folder_but_not_a_state_file(tmp_path: Path) -> None:
    shared_folder = two(tmp_path, extra_b='local.path = "east"').read_text()
    shared_folder = shared_folder.replace('local.path = "west"\n', "")
    a, b = load_targets(config(tmp_path, shared_folder))
    assert a.settings.local_path == b.settings.local_path
    assert a.settings.state_file != b.settings.state_file
    with pytest.raises(UsageError, match="share the state file"):
        load_targets(two(tmp_path, 'sync.state_file = "s.db"', 'sync.state_file = "s.db"'))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SHARED + "[targets]\n", "must hold tables"),
        (SHARED + '[targets."bad name"]\nremote.location_id = "L"\n', "a target name is"),
        (SHARED + '[targets.a]\nremotes.location_id = "L"\n', r"\[targets.a\] remotes"),
        (SHARED + '[targets.a]\nremote.location_id = "L"\n', r"\[targets.a\] \[local\] path"),
        (
            SHARED
            + '[targets.a]\nremote.location_id = "L"\nlocal.path = "x"\n'
            + '[targets.b]\nremote.location_id = "L"\nlocal.path = "y"\n',
            "both sync into location L",
        ),
    ],
)
def test_bad_targets_are_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_targets(config(tmp_path, text))


def test_select_and_only_one(tmp_path: Path) -> None:
    targets = load_targets(two(tmp_path))
    assert [t.name for t in select(targets, "west")] == ["west"]
    assert select(targets, None) == targets
    with pytest.raises(UsageError, match="no such target; this config has east, west"):
        select(targets, "north")
    with pytest.raises(UsageError, match="add --target NAME"):
        only_one(targets, "manifest")


# -- end to end: two sub-accounts, two sandboxes, one run -----------------------------------


@pytest.fixture
def sandboxes() -> Iterator[tuple[BackgroundSandbox, BackgroundSandbox]]:
    east = BackgroundSandbox(SandboxConfig(token="east-token", location_id="EastLoc"))
    west = BackgroundSandbox(SandboxConfig(token="west-token", location_id="WestLoc"))
    try:
        yield east, west
    finally:
        east.stop()
        west.stop()


@pytest.fixture
def fleet(tmp_path: Path, sandboxes: tuple[BackgroundSandbox, BackgroundSandbox]) -> Path:
    east, west = sandboxes
    shutil.copytree(EXAMPLES, tmp_path / "east")
    shutil.copytree(EXAMPLES / "images", tmp_path / "west" / "images")
    return two(
        tmp_path, f'remote.base_url = "{east.base_url}"', f'remote.base_url = "{west.base_url}"'
    )


def run(path: Path, *args: str) -> Result:
    env = {"EAST_TOKEN": "east-token", "WEST_TOKEN": "west-token"}
    result = CliRunner().invoke(main, [args[0], "-c", str(path), *args[1:]], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "east-token" not in result.output and "west-token" not in result.output
    return result


def requests_in_summary(output: str, label: str) -> int:
    (line,) = [line for line in output.splitlines() if line.startswith(f"{label}: sync:")]
    match = re.search(r"(\d+) requests", line)
    assert match is not None, line
    return int(match.group(1))


def test_one_run_syncs_both_targets_each_with_its_own_limiter(
    fleet: Path, sandboxes: tuple[BackgroundSandbox, BackgroundSandbox]
) -> None:
    east, west = sandboxes
    result = run(fleet, "sync", "-v")
    assert result.exit_code == 0, result.output
    assert len(east.library.files()) == len(example_files())
    west_files = [p for p in example_files() if p.startswith("images/")]
    assert sorted(f.path for f in west.library.files()) == sorted(f"site/{p}" for p in west_files)
    # Each summary counts its own limiter's requests: those its own sandbox received.
    assert requests_in_summary(result.output, "east") == east.library.stats()["requests_total"]
    assert requests_in_summary(result.output, "west") == west.library.stats()["requests_total"]
    assert any(line.startswith("west: uploaded images/") for line in result.output.splitlines())


def test_target_picks_one_and_single_library_commands_ask_for_it(
    fleet: Path, sandboxes: tuple[BackgroundSandbox, BackgroundSandbox]
) -> None:
    east, west = sandboxes
    assert run(fleet, "sync", "--target", "west").exit_code == 0
    assert east.library.files() == [] and west.library.files() != []
    refused = run(fleet, "manifest")
    assert refused.exit_code == 2 and "add --target NAME (east, west)" in refused.output
    rows = json.loads(run(fleet, "manifest", "--target", "west").stdout)
    assert {row["path"] for row in rows} == {
        p for p in example_files() if p.startswith("images/")
    }


def test_a_broken_target_does_not_stop_the_other(
    fleet: Path, sandboxes: tuple[BackgroundSandbox, BackgroundSandbox]
) -> None:
    east, _ = sandboxes
    shutil.rmtree(fleet.parent / "west")
    result = run(fleet, "sync")
    assert result.exit_code == 3
    assert len(east.library.files()) == len(example_files())
    assert "west: error: the local folder" in result.output


def test_watch_runs_every_target_and_names_each_in_its_log(fleet: Path) -> None:
    east, west = load_targets(fleet)
    with hold_lock(east.settings.state_file), hold_lock(west.settings.state_file):
        result = run(fleet, "watch", "--log-format", "json")
    assert result.exit_code == 5
    lines = [json.loads(text) for text in result.output.splitlines() if text.startswith("{")]
    fatal = sorted((line["target"], line["event"]) for line in lines)
    assert fatal == [("east", "fatal"), ("west", "fatal")]
    assert all(line["message"].startswith(f"{line['target']}: ") for line in lines)


def test_oauth_targets_in_one_folder_get_their_own_token_files(tmp_path: Path) -> None:
    text = two(tmp_path, extra_b='local.path = "east"').read_text()
    text = text.replace('local.path = "west"\n', "").replace(
        "[remote]\n", '[remote]\nauth = "oauth"\n', 1
    )
    east, west = load_targets(config(tmp_path, text))
    assert east.settings.oauth is not None and west.settings.oauth is not None
    folder = tmp_path / "east" / ".mediasync"
    assert east.settings.oauth.token_file == folder / "east-oauth-token.json"
    assert west.settings.oauth.token_file == folder / "west-oauth-token.json"
