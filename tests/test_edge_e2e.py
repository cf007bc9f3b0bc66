"""The corpus's edge folder (rebuilt by tests/samples.py) through the real CLI and sandbox:
exactly the outcomes its README expects, every rejection explained by `mediasync status`,
and a second run that changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediasync.cli import main
from mediasync.sandbox import BackgroundSandbox, SandboxConfig
from mediasync.state import StateStore
from tests.helpers import png_bytes
from tests.samples import EDGE_IGNORED, EDGE_REJECTED, EDGE_UPLOADED, HOSTILE, make_edge

TOKEN = "pit-edge0000-1111-2222-3333-444455556666"
LOCATION = "EdgeLocation00000001"


@pytest.fixture
def sandbox() -> Iterator[BackgroundSandbox]:
    with BackgroundSandbox(SandboxConfig(token=TOKEN, location_id=LOCATION)) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, sandbox: BackgroundSandbox) -> Path:
    make_edge(tmp_path / "edge")
    path = tmp_path / "mediasync.toml"
    path.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{sandbox.base_url}"\n'
        f'root_folder = "edge"\n\n[local]\npath = "edge"\n\n'
        f'[sync]\nstate_file = "state/edge.db"\n'
    )
    return path


def run(config: Path, *args: str, token: str | None = TOKEN) -> Result:
    env = {"MEDIASYNC_TOKEN": token} if token else {"MEDIASYNC_TOKEN": ""}
    result = CliRunner().invoke(main, [*args[:1], "-c", str(config), *args[1:]], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def status(config: Path) -> dict[str, object]:
    result = run(config, "status", "--json", token=None)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_edge_folder_outcomes_reasons_and_a_quiet_second_run(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    before = status(config)
    assert before["new"] == sorted(EDGE_UPLOADED)
    assert not before["in_sync"]

    first = run(config, "sync", "-v")
    assert first.exit_code == 0, first.output
    stored = {f.path: f for f in sandbox.library.files()}
    assert {path: f.content_type for path, f in stored.items()} == {
        f"edge/{name}": mime for name, mime in EDGE_UPLOADED.items()
    }
    for name in EDGE_IGNORED:
        assert name not in first.stdout
    for name, reason in EDGE_REJECTED.items():
        assert f"rejected {name}: {reason}" in first.stdout
        assert first.stdout.count(f"rejected {name}:") == 1
    assert "content is image/png, not .jpg: sent as image/png" in first.stdout
    assert "sync: 5 uploaded, 0 replaced, 0 deleted, 0 unchanged, 3 rejected, 0 failed" in (
        first.stdout
    )

    after = status(config)
    assert after["in_sync"] is True
    rejected = {row["path"]: row["reason"] for row in after["rejected"]}  # type: ignore[attr-defined]
    assert set(rejected) == set(EDGE_REJECTED)
    for name, reason in EDGE_REJECTED.items():
        assert rejected[name].startswith(reason)
    text = run(config, "status", token=None)
    assert text.exit_code == 0
    for name in EDGE_REJECTED:
        assert f"  {name}: {rejected[name]}" in text.stdout
    assert "in sync: nothing to upload or delete" in text.stdout

    uploads = sandbox.library.stats()["uploads"]
    second = run(config, "sync")
    assert second.exit_code == 0, second.output
    assert sandbox.library.stats()["uploads"] == uploads
    assert "sync: 0 uploaded, 0 replaced, 0 deleted, 5 unchanged, 3 rejected, 0 failed" in (
        second.stdout
    )
    assert status(config) == after


def test_status_needs_no_token_and_no_state(tmp_path: Path) -> None:
    make_edge(tmp_path / "edge")
    path = tmp_path / "mediasync.toml"
    path.write_text(
        '[remote]\nlocation_id = "L1"\nbase_url = "http://127.0.0.1:9"\n\n'
        '[local]\npath = "edge"\n\n[sync]\nstate_file = "state/s.db"\n'
    )
    result = run(path, "status", token=None)
    assert result.exit_code == 0, result.output
    assert "5 new, 0 changed, 0 to delete, 3 rejected, 0 unchanged" in result.stdout
    assert not (tmp_path / "state").exists()


def test_status_lists_changes_and_the_last_runs_failures(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    edge = config.parent / "edge"
    # Not the same size as the file removed beside it, so not taken for its rename.
    (edge / "new.png").write_bytes((edge / "emoji 🎉 party.png").read_bytes() + b"\0" * 7)
    (edge / "emoji 🎉 party.png").unlink()
    (edge / "UPPER.JPG").write_bytes((edge / "UPPER.JPG").read_bytes() + b"more")
    store = StateStore.open(config.parent / "state" / "edge.db", LOCATION)
    try:
        store.record_problem("Café menu.jpg", "failed", "upload: 500 Internal Server Error")
    finally:
        store.close()
    data = status(config)
    assert (data["new"], data["changed"], data["delete"]) == (
        ["new.png"],
        ["UPPER.JPG"],
        ["emoji 🎉 party.png"],
    )
    assert data["last_run_problems"] == [
        {"path": "Café menu.jpg", "kind": "failed", "reason": "upload: 500 Internal Server Error"}
    ]
    text = run(config, "status", token=None).stdout
    assert "Problems in the last run:\n  failed Café menu.jpg: upload: 500 Internal" in text
    assert "1 new, 1 changed, 1 to delete, 3 rejected, 3 unchanged" in text


def test_hostile_names_reach_the_sandbox_intact(
    tmp_path: Path, sandbox: BackgroundSandbox
) -> None:
    names = [name for name in HOSTILE if len(name.encode()) <= 255]
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(png_bytes())
    path = tmp_path / "hostile.toml"
    path.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{sandbox.base_url}"\n'
        f'root_folder = ""\n\n[local]\npath = "hostile"\n\n[sync]\nstate_file = "h.db"\n'
    )
    first = run(path, "sync")
    assert first.exit_code == 0, first.output
    assert sorted(f.name for f in sandbox.library.files()) == sorted(names)
    second = run(path, "sync")
    assert f"0 uploaded, 0 replaced, 0 deleted, {len(names)} unchanged" in second.stdout


def test_a_new_ignore_rule_is_explained_and_deletes_nothing(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    text = config.read_text().replace('path = "edge"', 'path = "edge"\nignore = ["*.pdf"]')
    config.write_text(text)
    kept = "résumé (final) [v2].pdf: now ignored, so its remote copy is kept; set [sync] "
    shown_status = run(config, "status", token=None).stdout
    assert f"  {kept}delete_ignored = true to delete it" in shown_status
    second = run(config, "sync")
    assert f"kept {kept}" in second.stdout
    assert "0 deleted" in second.stdout
    assert len(sandbox.library.files()) == len(EDGE_UPLOADED)
    assert status(config)["kept_ignored"] == ["résumé (final) [v2].pdf"]


def test_files_deleted_because_ignored_are_not_called_removed(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    text = config.read_text().replace('path = "edge"', 'path = "edge"\nignore = ["*.pdf"]')
    config.write_text(text.replace("[sync]\n", "[sync]\ndelete_ignored = true\n"))
    pdf = "résumé (final) [v2].pdf"
    shown_status = run(config, "status", token=None).stdout
    assert "Removed locally" not in shown_status
    assert (
        f"Ignored now, to delete remotely ([sync] delete_ignored = true):\n  {pdf}\n"
        in shown_status
    )
    assert "1 to delete" in shown_status
    data = status(config)
    assert (data["delete"], data["delete_ignored"], data["in_sync"]) == ([], [pdf], False)
    dry = run(config, "sync", "--dry-run", token=None).stdout
    assert (
        f"would delete {pdf} (now ignored, and [sync] delete_ignored = true deletes its "
        "remote copy)" in dry
    )
