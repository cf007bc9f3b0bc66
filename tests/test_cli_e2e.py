"""`mediasync` end to end: the real CLI, the real sandbox on loopback, real files and SQLite."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediasync.cli import main
from mediasync.sandbox import BackgroundSandbox, SandboxConfig
from mediasync.state import hold_lock
from tests.helpers import example_files, png_bytes

TOKEN = "pit-e2e00000-1111-2222-3333-444455556666"
LOCATION = "E2eLocation000000001"


@pytest.fixture
def sandbox() -> Iterator[BackgroundSandbox]:
    with BackgroundSandbox(SandboxConfig(token=TOKEN, location_id=LOCATION)) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, media: Path, sandbox: BackgroundSandbox) -> Path:
    path = tmp_path / "mediasync.toml"
    path.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{sandbox.base_url}"\n'
        f'root_folder = "site/media"\n\n[local]\npath = "{media.name}"\n'
    )
    return path


def run(config: Path, *args: str, token: str = TOKEN) -> Result:
    result = CliRunner().invoke(
        main, [*args[:1], "-c", str(config), *args[1:]], env={"MEDIASYNC_TOKEN": token}
    )
    assert token not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def manifest(config: Path) -> dict[str, dict[str, object]]:
    result = run(config, "manifest", "--format", "json")
    assert result.exit_code == 0
    return {row["path"]: row for row in json.loads(result.stdout)}


def uploads(sandbox: BackgroundSandbox) -> int:
    return int(sandbox.library.stats()["uploads"])


def test_full_cycle(config: Path, media: Path, sandbox: BackgroundSandbox) -> None:
    first = run(config, "sync")
    assert first.exit_code == 0, first.output
    files = example_files()
    assert f"sync: {len(files)} uploaded" in first.stdout
    remote = {f.path: f for f in sandbox.library.files()}
    assert set(remote) == {f"site/media/{p}" for p in files}
    for rel in files:
        assert remote[f"site/media/{rel}"].content == (media / rel).read_bytes()

    rows = manifest(config)
    assert sorted(rows) == files
    for rel, row in rows.items():
        with urllib.request.urlopen(str(row["url"])) as response:
            assert (
                hashlib.sha256(response.read()).hexdigest()
                == hashlib.sha256((media / rel).read_bytes()).hexdigest()
            )

    sent = uploads(sandbox)
    second = run(config, "sync")
    assert second.exit_code == 0
    assert uploads(sandbox) == sent
    assert "0 uploaded" in second.stdout

    (media / "images/sunset.png").write_bytes(png_bytes(9, 9))
    third = run(config, "sync")
    assert third.exit_code == 0 and "1 replaced" in third.stdout
    after = manifest(config)
    assert after["images/sunset.png"]["url"] != rows["images/sunset.png"]["url"]
    assert len([f for f in sandbox.library.files() if f.name == "sunset.png"]) == 1

    (media / "audio/beep.wav").unlink()
    fourth = run(config, "sync")
    assert fourth.exit_code == 0 and "1 deleted" in fourth.stdout
    assert "audio/beep.wav" not in manifest(config)
    assert "site/media/audio/beep.wav" not in {f.path for f in sandbox.library.files()}

    listing = run(config, "ls")
    assert listing.exit_code == 0
    assert "sunset.png" in listing.stdout and "beep.wav" not in listing.stdout


def test_files_uploaded_by_other_means_are_never_deleted(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    folder_id = next(f.parent_id for f in sandbox.library.files() if f.name == "sunset.png")
    form = (
        b'--b\r\nContent-Disposition: form-data; name="parentId"\r\n\r\n'
        + str(folder_id).encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="manual.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png_bytes() + b"\r\n--b--\r\n"
    )
    request = urllib.request.Request(
        f"{sandbox.base_url}/medias/upload-file",
        data=form,
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Version": "2021-07-28",
            "Content-Type": "multipart/form-data; boundary=b",
        },
    )
    with urllib.request.urlopen(request) as response:
        assert response.status in (200, 201)
    for path in [p for p in media.rglob("*.png")]:
        path.unlink()
    assert run(config, "sync").exit_code == 0
    names = {f.name for f in sandbox.library.files()}
    assert "manual.png" in names and "sunset.png" not in names


def test_delete_guard_refuses_sixty_percent_until_forced(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    files = example_files()
    removed = files[: round(len(files) * 0.6)]
    for rel in removed:
        (media / rel).unlink()
    refused = run(config, "sync")
    assert refused.exit_code == 4, refused.output
    assert "--force" in refused.output
    assert len(sandbox.library.files()) == len(files)
    dry = run(config, "sync", "--dry-run", "--force")
    assert dry.exit_code == 0 and f"{len(removed)} to delete" in dry.stdout
    assert len(sandbox.library.files()) == len(files)
    forced = run(config, "sync", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(sandbox.library.files()) == len(files) - len(removed)


def test_a_lost_state_file_stops_a_first_sync_until_forced(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    for leftover in (media / ".mediasync").glob("state.db*"):
        leftover.unlink()
    refused = run(config, "sync")
    assert refused.exit_code == 4, refused.output
    assert "a lost or new state file?" in refused.output
    assert uploads(sandbox) == len(example_files())
    forced = run(config, "sync", "--force")
    assert forced.exit_code == 0, forced.output
    assert len(sandbox.library.files()) == 2 * len(example_files())


def test_a_changed_root_folder_is_refused_not_half_applied(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    text = config.read_text()
    config.write_text(text.replace('root_folder = "site/media"', 'root_folder = "rd"'))
    for command in ("sync", "status"):
        refused = run(config, command)
        assert refused.exit_code == 3, refused.output
        assert 'synced under remote folder "site/media"' in refused.output
    doctor = run(config, "doctor")
    assert "root_folder back to" in doctor.output and doctor.exit_code != 0
    assert uploads(sandbox) == len(example_files())


def test_wrong_token_is_fatal_and_never_printed(config: Path, sandbox: BackgroundSandbox) -> None:
    result = run(config, "sync", token="pit-not-the-right-one")
    assert result.exit_code == 3
    assert "token was refused" in result.output
    assert uploads(sandbox) == 0


def test_missing_token_and_bad_config_are_usage_errors(config: Path) -> None:
    result = CliRunner().invoke(main, ["sync", "-c", str(config)], env={"MEDIASYNC_TOKEN": ""})
    assert result.exit_code == 2 and "MEDIASYNC_TOKEN" in result.output
    config.write_text(config.read_text().replace("root_folder", "root_fodler"))
    result = run(config, "sync")
    assert result.exit_code == 2 and "did you mean root_folder" in result.output


def test_a_token_with_a_control_character_is_refused_up_front(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    pasted = f"{TOKEN[:12]}\n{TOKEN[12:]}"
    for args in (["sync"], ["watch", "--log-format", "json"]):
        result = run(config, *args, token=pasted)
        assert result.exit_code == 2, result.output
        (line,) = result.output.splitlines()
        assert "MEDIASYNC_TOKEN holds a control character" in line
        assert TOKEN[:12] not in line and TOKEN[12:] not in line
    assert json.loads(line)["event"] == "fatal"
    assert sandbox.library.stats()["requests_total"] == 0


def test_plain_http_to_another_host_is_refused_before_any_request(config: Path) -> None:
    config.write_text(config.read_text().replace("http://127.0.0.1", "http://example.com"))
    for args in (["sync"], ["watch", "--log-format", "json"]):
        result = run(config, *args)
        assert result.exit_code == 2, result.output
        (line,) = result.output.splitlines()
        assert "base_url 'http://example.com:" in line and "in cleartext" in line


def test_a_size_limit_too_large_for_bytes_is_a_usage_error_in_one_line(config: Path) -> None:
    config.write_text(config.read_text() + "\n[rules]\nmax_file_mb = 1e308\n")
    for args in (["sync"], ["status"], ["watch", "--log-format", "json"]):
        result = run(config, *args)
        assert result.exit_code == 2, result.output
        (line,) = result.output.splitlines()
        assert "[rules] max_file_mb must be a number of MB from 0.001 to 100000" in line


def test_an_api_version_no_header_can_carry_is_a_usage_error_before_any_request(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    config.write_text(config.read_text().replace("[local]", 'api_version = "v3\\r\\n"\n\n[local]'))
    result = run(config, "sync")
    assert result.exit_code == 2, result.output
    assert "[remote] api_version 'v3\\r\\n' is not an API version" in result.output
    assert sandbox.library.stats()["requests_total"] == 0


def test_emptied_root_is_fatal_and_deletes_nothing(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    for path in [p for p in media.rglob("*") if p.is_file() and ".mediasync" not in p.parts]:
        path.unlink()
    result = run(config, "sync")
    assert result.exit_code == 3 and "empty" in result.output
    assert len(sandbox.library.files()) == len(example_files())


def test_an_empty_folder_with_nothing_recorded_says_so(
    tmp_path: Path, sandbox: BackgroundSandbox
) -> None:
    (tmp_path / "empty").mkdir()
    config = tmp_path / "empty.toml"
    config.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{sandbox.base_url}"\n\n'
        '[local]\npath = "empty"\n'
    )
    for flags in ((), ("-v",)):
        result = run(config, "sync", *flags)
        assert result.exit_code == 0
        (line,) = result.output.splitlines()
        assert line.startswith("sync: nothing to do: no files to sync in the folder")


def test_a_second_run_is_locked_out(config: Path, media: Path) -> None:
    with hold_lock(media / ".mediasync" / "state.db"):
        result = run(config, "sync")
    assert result.exit_code == 5 and "another mediasync run" in result.output


def test_watch_beside_another_run_exits_5_with_a_json_log_line(config: Path, media: Path) -> None:
    with hold_lock(media / ".mediasync" / "state.db"):
        result = run(config, "watch", "--log-format", "json")
    assert result.exit_code == 5
    (line,) = [json.loads(text) for text in result.output.splitlines() if text.startswith("{")]
    assert line["event"] == "fatal" and line["exit_code"] == 5 and line["level"] == "error"
    assert line["message"].startswith("another mediasync run")


def test_watch_beside_another_run_says_error_once(config: Path, media: Path) -> None:
    with hold_lock(media / ".mediasync" / "state.db"):
        result = run(config, "watch")
    assert result.exit_code == 5
    (line,) = [text for text in result.output.splitlines() if "another mediasync run" in text]
    assert line.count("error:") == 1 and "error: another mediasync run" in line


def test_watch_with_a_refused_token_is_fatal(config: Path, sandbox: BackgroundSandbox) -> None:
    result = run(config, "watch", token="pit-not-the-right-one")
    assert result.exit_code == 3 and "token was refused" in result.output
    assert uploads(sandbox) == 0


def test_dry_run_changes_nothing(config: Path, media: Path, sandbox: BackgroundSandbox) -> None:
    (media / "fake.png").write_text("only text")
    result = run(config, "sync", "--dry-run")
    assert result.exit_code == 0
    assert "would upload images/sunset.png" in result.stdout
    assert "would reject fake.png: content is not an image" in result.stdout
    assert sandbox.library.stats()["requests_total"] == 0
    assert not (media / ".mediasync").exists()


def test_hostile_names_are_refused_and_the_run_goes_on(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    (media / "new\nline.png").write_bytes(png_bytes())
    (media / "\x1b[31mred.png").write_bytes(png_bytes())
    result = run(config, "sync")
    assert result.exit_code == 0, result.output
    assert "rejected new\\x0aline.png: name holds control characters" in result.stdout
    assert "\x1b" not in result.output
    assert len(sandbox.library.files()) == len(example_files())


def test_token_is_not_stored(config: Path, media: Path) -> None:
    assert run(config, "sync").exit_code == 0
    for path in (media / ".mediasync").iterdir():
        assert TOKEN.encode() not in path.read_bytes()
    with sqlite3.connect(media / ".mediasync" / "state.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == len(example_files())


def test_manifest_csv(config: Path) -> None:
    assert run(config, "sync").exit_code == 0
    result = run(config, "manifest", "--format", "csv")
    lines = result.stdout.splitlines()
    assert lines[0] == "path,url,id,size,uploaded_at,status"
    assert len(lines) == len(example_files()) + 1


def delete_in_web_app(sandbox: BackgroundSandbox, remote_id: str) -> None:
    request = urllib.request.Request(
        f"{sandbox.base_url}/medias/{remote_id}?altType=location&altId={LOCATION}",
        method="DELETE",
        headers={"Authorization": f"Bearer {TOKEN}", "Version": "2021-07-28"},
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def test_a_file_deleted_behind_our_back_is_restored(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    before = manifest(config)["images/sunset.png"]
    delete_in_web_app(sandbox, str(before["id"]))
    result = run(config, "sync", "--remote-check", "-v")
    assert result.exit_code == 0, result.output
    assert "restored images/sunset.png" in result.stdout
    after = manifest(config)["images/sunset.png"]
    assert after["status"] == "restored" and after["url"] != before["url"]
    with urllib.request.urlopen(str(after["url"])) as response:
        assert response.status == 200


def test_with_a_zero_interval_every_sync_checks(config: Path, sandbox: BackgroundSandbox) -> None:
    config.write_text(config.read_text() + "\n[sync]\nremote_check_interval = 0\n")
    assert run(config, "sync").exit_code == 0
    delete_in_web_app(sandbox, str(manifest(config)["docs/price-list.pdf"]["id"]))
    result = run(config, "sync")
    assert result.exit_code == 0 and "1 restored" in result.stdout
    assert len(sandbox.library.files()) == len(example_files())


def test_report_mode_lists_what_vanished_and_sends_nothing(
    config: Path, sandbox: BackgroundSandbox
) -> None:
    config.write_text(config.read_text() + '\n[sync]\nmissing_remote = "report"\n')
    assert run(config, "sync").exit_code == 0
    delete_in_web_app(sandbox, str(manifest(config)["images/sunset.png"]["id"]))
    result = run(config, "sync", "--remote-check")
    assert result.exit_code == 0
    assert (
        "missing remotely images/sunset.png: deleted in the library; not re-sent "
        '([sync] missing_remote = "report")' in result.stdout
    )
    assert manifest(config)["images/sunset.png"]["status"] == "missing"
    assert len(sandbox.library.files()) == len(example_files()) - 1


def test_a_spent_daily_budget_exits_6_with_the_reset_time_and_the_cost(
    tmp_path: Path, media: Path
) -> None:
    server = BackgroundSandbox(SandboxConfig(token=TOKEN, location_id=LOCATION, daily_limit=10))
    try:
        path = tmp_path / "budget.toml"
        path.write_text(
            f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{server.base_url}"\n\n'
            f'[local]\npath = "{media.name}"\n'
        )
        result = run(path, "sync")
    finally:
        server.stop()
    assert result.exit_code == 6, result.output
    assert "daily API budget" in result.output and "resets in 24.0 h" in result.output
    assert "sync stopped; 10 requests" in result.stdout
