"""`mediasync verify` and `sync --verify`: the real CLI and hosted URLs of the real sandbox,
plus the worker's handling of a copy that does not serve what was sent (in-memory twin)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mediasync.cli import main
from mediasync.engine import run_sync
from mediasync.models import OutcomeKind
from mediasync.remote.hosted import Finding, Problem
from mediasync.remote.memory import MemoryLibrary
from mediasync.sandbox import BackgroundSandbox, SandboxConfig
from mediasync.state import StateStore
from tests.helpers import example_files, png_bytes
from tests.test_engine import Sleeps, options

TOKEN = "pit-7e41f000-1111-2222-3333-444455556666"
LOCATION = "VerifyLocation000001"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[BackgroundSandbox]:
    config = SandboxConfig(token=TOKEN, location_id=LOCATION, data_dir=tmp_path / "sandbox")
    with BackgroundSandbox(config) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, media: Path, sandbox: BackgroundSandbox) -> Path:
    path = tmp_path / "mediasync.toml"
    path.write_text(
        f'[remote]\nlocation_id = "{LOCATION}"\nbase_url = "{sandbox.base_url}"\n\n'
        f'[local]\npath = "{media.name}"\n'
    )
    return path


def run(config: Path, *args: str) -> Result:
    result = CliRunner().invoke(
        main, [args[0], "-c", str(config), *args[1:]], env={"MEDIASYNC_TOKEN": TOKEN}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def recorded(media: Path) -> dict[str, str]:
    store = StateStore.open(media / ".mediasync" / "state.db", LOCATION)
    try:
        return {p: e.remote_id for p, e in store.snapshot().entries.items()}
    finally:
        store.close()


def test_verify_passes_then_reports_a_file_deleted_in_the_web_app(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    files = len(example_files())
    clean = run(config, "verify")
    assert clean.exit_code == 0, clean.output
    assert f"{files} checked (HEAD), {files} ok, 0 missing" in clean.output

    gone = sorted(recorded(media).items())[0]
    sandbox.library.remove(gone[1])
    result = run(config, "verify")
    assert result.exit_code == 1
    assert f"missing   {gone[0]}:" in result.output and "is gone (404)" in result.output
    assert "1 missing" in result.output
    assert "missing files are uploaded again by `mediasync sync --remote-check`" in result.output


def test_verify_says_missing_files_stay_missing_when_only_reported(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    config.write_text(config.read_text() + '\n[sync]\nmissing_remote = "report"\n')
    assert run(config, "sync").exit_code == 0
    sandbox.library.remove(sorted(recorded(media).values())[0])
    result = run(config, "verify")
    assert result.exit_code == 1 and "1 missing" in result.output
    assert "uploaded again by" not in result.output
    assert 'missing files are not uploaded again: with [sync] missing_remote = "report"' in (
        result.output
    )
    # What it says is so: a remote check only lists the file; nothing is sent.
    uploads = sandbox.library.stats()["uploads"]
    checked = run(config, "sync", "--remote-check")
    assert "missing remotely" in checked.output
    assert sandbox.library.stats()["uploads"] == uploads


def test_verify_content_finds_bytes_that_differ(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    assert run(config, "sync").exit_code == 0
    path, remote_id = sorted(recorded(media).items())[0]
    assert run(config, "verify", "--content").exit_code == 0
    blob = sandbox.library.blob_path(remote_id)
    assert blob is not None
    blob.write_bytes(b"not what was uploaded")
    assert run(config, "verify").exit_code == 0  # HEAD only sees that it is there
    result = run(config, "verify", "--content")
    assert result.exit_code == 1
    assert f"mismatch  {path}:" in result.output and "1 different" in result.output


def test_sync_verify_checks_every_upload(
    config: Path, media: Path, sandbox: BackgroundSandbox
) -> None:
    result = run(config, "sync", "--verify")
    assert result.exit_code == 0, result.output
    assert len(recorded(media)) == len(example_files())
    routes = sandbox.library.stats()["requests_per_route"]
    hosted = {route: n for route, n in routes.items() if "/hosted/" in route}
    assert hosted == {"GET /hosted/{location_id}/media/{object_name}": len(example_files())}


async def test_a_copy_that_fails_verification_is_removed_and_the_old_one_kept(
    media: Path,
) -> None:
    remote = MemoryLibrary()
    store = StateStore.open(media / ".mediasync" / "state.db", "loc1")
    base = options(media, Sleeps())
    await run_sync(base, remote, store)
    before = store.snapshot().entries["images/sunset.png"]
    (media / "images" / "sunset.png").write_bytes(png_bytes(9, 9))
    checked: list[str] = []

    async def broken_cdn(url: str, sha256: str) -> Finding | None:
        checked.append(url)
        return Finding(Problem.MISMATCH, "serves different bytes than were uploaded")

    report = await run_sync(replace(base, verify=broken_cdn), remote, store)
    (outcome,) = report.outcomes
    assert outcome.kind is OutcomeKind.FAILED
    assert "hosted URL serves different bytes" in outcome.reason
    assert len(checked) == 1
    after = store.snapshot().entries["images/sunset.png"]
    assert after == before  # still the old, working copy
    live = {f.item.id for f in remote.files()}
    assert before.remote_id in live and len(live) == len(example_files())
    store.close()
