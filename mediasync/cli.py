"""The `mediasync` command: the one composition root. It reads the config, picks concrete
parts (HTTP remote, SQLite state), runs the engine under asyncio and turns results and errors
into the documented exit codes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from mediasync import __version__
from mediasync.config import Settings, find_config
from mediasync.credentials import authorizer_for
from mediasync.daemon import Daemon, WatchOptions, WatchStats
from mediasync.diskio import DiskAccess
from mediasync.display import Board, SyncDisplay, Verbosity
from mediasync.doctor import Check, Status, check_local, check_remote, failed
from mediasync.engine import SyncOptions, SyncReport, run_sync
from mediasync.errors import MediasyncError, RootError
from mediasync.folders import find_folder
from mediasync.interrupt import Interrupts
from mediasync.logs import FORMATS, EventLog, configure
from mediasync.manifest import render_manifest
from mediasync.models import Plan, StateEntry, SyncState
from mediasync.oauth_commands import oauth
from mediasync.plan import Policy
from mediasync.preview import preview
from mediasync.remote import walk_tree
from mediasync.remote.auth import Authorizer
from mediasync.remote.hosted import Finding, HttpHostedProbe, Problem
from mediasync.remote.http import HttpLibrary
from mediasync.report import (
    EXIT_FAILED,
    EXIT_OK,
    Traffic,
    exit_code_for,
    exit_code_for_plan,
    print_plan,
    shown,
)
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.scan import printable
from mediasync.state import StateStore, hold_lock
from mediasync.status import print_status, status_json
from mediasync.targets import Target, load_targets, only_one, select
from mediasync.timings import Timings, since_process_start, wanted
from mediasync.verify import VerifyReport, missing_hint, verify_entries
from mediasync.watch import watch_paths

CONFIG_HELP = "Config file (default: $MEDIASYNC_CONFIG or ./mediasync.toml)."
TARGET_HELP = "Only this [targets.NAME] of the config (default: all of them)."


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _errors() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mediasync")
def main() -> None:
    """Keep a local folder in one-way sync with a GoHighLevel Media Library."""


main.add_command(oauth)


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--force", is_flag=True, help="Allow deletes beyond [sync] max_delete.")
@click.option("--remote-check", is_flag=True, help="Look for files deleted in the web app now.")
@click.option(
    "--verify", "verify_uploads", is_flag=True, help="Download each new upload and compare it."
)
@click.option(
    "--checksum", is_flag=True, help="Hash every file to find changes, not only size and mtime."
)
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
@click.option("-q", "--quiet", is_flag=True, help="Print only problems and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Also print a line for every file.")
def sync(
    config_file: str | None,
    dry_run: bool,
    force: bool,
    remote_check: bool,
    verify_uploads: bool,
    checksum: bool,
    target: str | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Upload new and changed files, delete remote copies of removed ones."""
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose cannot go together")
    verbosity = (
        Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL
    )
    sys.exit(
        _guarded(
            lambda: _sync(
                _targets(config_file, target),
                dry_run,
                SyncFlags(force, remote_check, checksum, verify_uploads, verbosity),
            )
        )
    )


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (one object per line) for log collectors.",
)
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
def watch(config_file: str | None, log_format: str, target: str | None) -> None:
    """Sync, then follow the folder's changes until stopped (Ctrl-C or SIGTERM)."""
    log = configure(log_format, sys.stderr)
    sys.exit(_logged(log, lambda: _watch(_targets(config_file, target), log)))


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--write", is_flag=True, help="Also upload and delete one 1-pixel test image.")
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
def doctor(config_file: str | None, write: bool, target: str | None) -> None:
    """Check the config, token, API access, limits and local folder; say what to fix."""
    sys.exit(_doctor(config_file, write, target))


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--content", is_flag=True, help="Download each file and compare its sha256.")
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
def verify(config_file: str | None, content: bool, target: str | None) -> None:
    """Check that every recorded hosted URL still serves its file."""
    sys.exit(_guarded(lambda: _each(_targets(config_file, target), _verify, content)))


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
def status(config_file: str | None, as_json: bool, target: str | None) -> None:
    """Show what a sync would do now and what went wrong last run (no network, no token)."""
    if as_json:
        sys.exit(_guarded(lambda: _status(_one(config_file, target, "status --json"), True)))
    sys.exit(_guarded(lambda: _each(_targets(config_file, target), _status, False)))


@main.command("ls")
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--all", "whole", is_flag=True, help="The whole library, not just the root folder.")
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
def list_remote(config_file: str | None, whole: bool, target: str | None) -> None:
    """Show the remote folder tree with each file's hosted URL."""
    sys.exit(_guarded(lambda: _ls(_one(config_file, target, "ls"), whole)))


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option("-t", "--target", "target", metavar="NAME", help=TARGET_HELP)
def manifest(config_file: str | None, fmt: str, target: str | None) -> None:
    """Print path, url, id, size and upload time of every synced file."""
    sys.exit(_guarded(lambda: _manifest(_one(config_file, target, "manifest"), fmt)))


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """Run a local emulator of the Media Library API, for trying mediasync safely.

    Options (see `mediasync sandbox --help`): --host, --port, --token, --location-id,
    --data DIR, --trial, the OAuth switches (--oauth-*, --access-token-ttl) and the fault and
    limit switches.
    """
    from mediasync.sandbox.cli import main as sandbox_main

    sys.exit(sandbox_main(list(ctx.args)))


def _guarded(run: Callable[[], int]) -> int:
    try:
        return run()
    except MediasyncError as exc:
        _errors().print(f"[red]error:[/] {shown(str(exc))}")
        return exc.exit_code
    except KeyboardInterrupt:
        _errors().print("interrupted")
        return 130


def _logged(log: EventLog, run: Callable[[], int]) -> int:
    """`_guarded` for the daemon: errors go to its log, in its format."""
    try:
        return run()
    except MediasyncError as exc:
        _log_fatal(log, exc)
        return exc.exit_code


def _log_fatal(log: EventLog, exc: MediasyncError) -> None:
    # An error line already says "error:" in text and "level": "error" in JSON: the message
    # itself is only the error.
    log.error("fatal", printable(str(exc)), exit_code=exc.exit_code)


def _targets(config_file: str | None, name: str | None) -> list[Target]:
    return select(load_targets(find_config(config_file)), name)


def _one(config_file: str | None, name: str | None, command: str) -> Settings:
    return only_one(_targets(config_file, name), command).settings


def _each(targets: list[Target], run: Callable[[Settings, bool], int], flag: bool) -> int:
    """Run a per-target command on each target in turn, under a heading when there are many."""
    codes = []
    for target in targets:
        if target.name:
            _console().print(f"== {target.name} ==")
        codes.append(_guarded(lambda: run(target.settings, flag)))  # noqa: B023 - called at once
    return max(codes)


class _Labelled(Console):
    """A console whose every line starts with the target's name (when there are several)."""

    def __init__(self, label: str, **options: Any) -> None:
        super().__init__(highlight=False, soft_wrap=True, **options)
        self._label = label.strip()

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*((self._label, *objects) if self._label else objects), **options)


@dataclass(frozen=True, slots=True)
class SyncFlags:
    force: bool = False
    remote_check: bool = False
    checksum: bool = False
    verify: bool = False
    verbosity: Verbosity = Verbosity.NORMAL


def _sync(targets: list[Target], dry_run: bool, flags: SyncFlags) -> int:
    if dry_run:
        return _each(targets, lambda settings, _: _dry_run(settings, flags), False)
    return asyncio.run(_sync_all(targets, flags))


async def _sync_all(targets: list[Target], flags: SyncFlags) -> int:
    """Sync every target at once, each with its own lock, state and rate limiter; one signal
    handler stops them all. The exit code is the worst of theirs."""
    loop = asyncio.get_running_loop()
    grace = max(t.settings.grace_period for t in targets)
    interrupts = Interrupts(asyncio.Event(), _errors().print, grace)
    console = _console()
    board = Board(console, console.is_terminal and flags.verbosity is not Verbosity.QUIET)
    tasks = [
        asyncio.ensure_future(_sync_target(t, flags, interrupts, board)) for t in targets
    ]

    # The pool honours the grace period itself; this catches a phase stuck elsewhere (a slow
    # listing, say). Cancelling is safe: intents cover whatever it cuts short.
    def cut_off_later() -> None:
        loop.call_later(grace + 5, lambda: [task.cancel() for task in tasks])

    interrupts.on_stop = cut_off_later
    with interrupts.installed(loop), board:
        codes = await asyncio.gather(*tasks)
    if interrupts.received is not None:
        _console().print("interrupted: the state is consistent; run again to finish")
        return interrupts.exit_code
    return max(codes)


async def _sync_target(
    target: Target, flags: SyncFlags, interrupts: Interrupts, board: Board
) -> int:
    console = _Labelled(target.label)
    display = SyncDisplay(console, flags.verbosity, board, target.name)
    settings = target.settings
    try:
        _check_root(settings)
        timings = Timings()
        startup = since_process_start()
        if startup is not None:
            timings.add("startup", startup)
        options = replace(_options(settings, flags), timings=timings)
        token = authorizer_for(settings)
        with hold_lock(settings.state_file):
            store = StateStore.open(settings.state_file, settings.location_id, settings.root_folder)
            try:
                report, traffic = await _sync_remote(
                    settings, token, options, store, display, interrupts, flags.verify
                )
            finally:
                store.close()
    except MediasyncError as exc:
        _Labelled(target.label, stderr=True).print(f"[red]error:[/] {shown(str(exc))}")
        return exc.exit_code
    display.finish(report, traffic)
    if wanted():
        disk = options.disk
        way = "inline" if disk.inline else "in threads"
        _Labelled(target.label, stderr=True).print(
            f"{timings.describe()}; disk access {way}, {disk.slow_calls} slow calls"
        )
    return exit_code_for(report)


def _check_root(settings: Settings) -> None:
    if settings.local_path.exists() and not settings.local_path.is_dir():
        raise RootError(f"[local] path {settings.local_path} is a file, not a folder")
    if not settings.local_path.is_dir():
        raise RootError(
            f"the local folder {settings.local_path} does not exist: create it, mount it, "
            "or fix [local] path"
        )


def _options(settings: Settings, flags: SyncFlags | None = None) -> SyncOptions:
    flags = flags or SyncFlags()
    return SyncOptions(
        root=settings.local_path,
        root_folder=settings.root_folder,
        ignore=settings.ignore,
        state_dir=settings.state_file.parent,
        concurrency=settings.concurrency,
        policy=Policy(
            delete=settings.delete,
            max_delete=settings.max_delete,
            force=flags.force,
            types=settings.types,
            restore_missing=settings.restore_missing,
            ignore=settings.ignore,
            delete_ignored=settings.delete_ignored,
            checksum=flags.checksum,
        ),
        retry=_retry_policy(settings),
        clock=time.time,
        grace=settings.grace_period,
        remote_check_interval=settings.remote_check_interval,
        force_remote_check=flags.remote_check,
        follow_symlinks=settings.follow_symlinks,
        attempt_timeout=settings.timeout,
    )


def _dry_run(settings: Settings, flags: SyncFlags) -> int:
    """Plan against the state as it stands, reading it only: no lock, no file, no request."""
    _check_root(settings)
    plan = preview(_options(settings, flags), settings.state_file, settings.location_id).plan
    print_plan(_console(), plan)
    return exit_code_for_plan(plan)


def _status(settings: Settings, as_json: bool) -> int:
    _check_root(settings)
    found = preview(_options(settings), settings.state_file, settings.location_id)
    if as_json:
        click.echo(status_json(found))
    else:
        print_status(_console(), found, settings)
    return EXIT_OK


async def _sync_remote(
    settings: Settings,
    token: Authorizer,
    options: SyncOptions,
    store: StateStore,
    display: SyncDisplay,
    interrupts: Interrupts,
    verify_uploads: bool = False,
) -> tuple[SyncReport, Traffic]:
    remote = _http(settings, token, options.disk)
    probe = HttpHostedProbe(_retry_policy(settings), settings.timeout) if verify_uploads else None
    if probe is not None:
        options = replace(options, verify=probe.probe)
    try:
        with options.timings.phase("access"):
            await call_with_retries(options.retry, remote.check_access)
        report = await run_sync(
            options, remote, store, display.outcome, interrupts.stop, display.planned
        )
    except asyncio.CancelledError:
        if interrupts.received is None:
            raise
        report = SyncReport(Plan(), interrupted=True)
    except MediasyncError:
        traffic = Traffic(remote.limiter.requests, remote.limiter.throttled)
        display.stopped(traffic)
        raise
    finally:
        await remote.aclose()
        if probe is not None:
            await probe.aclose()
    return report, Traffic(remote.limiter.requests, remote.limiter.throttled)


def _watch(targets: list[Target], log: EventLog) -> int:
    return asyncio.run(_watch_all(targets, log))


async def _watch_all(targets: list[Target], log: EventLog) -> int:
    """Follow every target at once. One that meets a fatal error stops and says so; the
    others go on. The exit code is the worst of theirs."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    grace = max(t.settings.grace_period for t in targets)
    interrupts = Interrupts(stop, lambda text: log.info("signal", text), grace)
    tasks = [
        asyncio.ensure_future(_watch_target(t, log.for_target(t.name), stop)) for t in targets
    ]

    def cut_off_later() -> None:
        loop.call_later(grace + 5, lambda: [task.cancel() for task in tasks])

    interrupts.on_stop = cut_off_later
    with interrupts.installed(loop):
        codes = await asyncio.gather(*tasks)
    return max(codes)


async def _watch_target(target: Target, log: EventLog, stop: asyncio.Event) -> int:
    settings = target.settings
    try:
        _check_root(settings)
        options = _options(settings)
        token = authorizer_for(settings)
        with hold_lock(settings.state_file):
            store = StateStore.open(settings.state_file, settings.location_id, settings.root_folder)
            try:
                stats = await _watch_remote(settings, token, options, store, log, stop)
            finally:
                store.close()
    except MediasyncError as exc:
        _log_fatal(log, exc)
        return exc.exit_code
    log.info(
        "stopped",
        f"stopped: {stats.uploaded} uploaded, {stats.deleted} deleted, {stats.failed} failed "
        "since start; the state is consistent",
        uploaded=stats.uploaded,
        deleted=stats.deleted,
        failed=stats.failed,
    )
    return EXIT_OK


async def _watch_remote(
    settings: Settings,
    token: Authorizer,
    options: SyncOptions,
    store: StateStore,
    log: EventLog,
    stop: asyncio.Event,
) -> WatchStats:
    remote = _http(settings, token, options.disk)
    w = settings.watch
    daemon = Daemon(
        options,
        WatchOptions(w.settle, w.max_deferral, w.rescan_interval, w.health_interval, w.poll),
        remote,
        store,
        lambda poll: watch_paths(options.root, options.ignore, options.state_dir, stop, poll),
        log,
        stop,
    )
    try:
        await call_with_retries(options.retry, remote.check_access)
        return await daemon.run()
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        return daemon.stats
    finally:
        await remote.aclose()


def _retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.retry_attempts,
        max_wait=settings.retry_max_wait,
        deadline=settings.retry_deadline,
    )


def _ls(settings: Settings, whole: bool) -> int:
    console = _console()
    token = authorizer_for(settings)

    async def walk() -> None:
        remote = _http(settings, token)
        retry = _retry_policy(settings)
        try:
            start = "" if whole else settings.root_folder
            try:
                folder_id = await find_folder(remote, start, retry)
            except LookupError:
                console.print(f"{shown(start)}/ does not exist yet: run mediasync sync")
                return
            console.print(f"{shown(start or '(library root)')}/")
            for path, item in await walk_tree(remote, folder_id, retry=retry):
                indent = "  " * (path.count("/") + 1)
                if item.is_folder:
                    console.print(f"{indent}{shown(item.name)}/")
                else:
                    console.print(f"{indent}{shown(item.name)}  {shown(item.url or '')}")
        finally:
            await remote.aclose()

    asyncio.run(walk())
    return EXIT_OK


def _manifest(settings: Settings, fmt: str) -> int:
    store = StateStore.open_existing(
        settings.state_file, settings.location_id, settings.root_folder
    )
    if store is None:
        _errors().print("nothing synced yet: run mediasync sync first")
        click.echo(render_manifest(SyncState(), fmt), nl=False)
        return EXIT_OK
    try:
        click.echo(render_manifest(store.snapshot(), fmt), nl=False)
    finally:
        store.close()
    return EXIT_OK


def _doctor(config_file: str | None, write: bool, name: str | None) -> int:
    console = _console()
    checks: list[Check] = []

    def show(found: list[Check]) -> None:
        for check in found:
            checks.append(check)
            style = {Status.PASS: "green", Status.FAIL: "red"}.get(check.status, "yellow")
            console.print(
                f"  [{style}]{check.status.value:4}[/] {check.name:7} {shown(check.detail)}"
            )

    try:
        path = find_config(config_file)
        targets = select(load_targets(path), name)
    except MediasyncError as exc:
        show([failed("config", exc)])
        return exc.exit_code
    for target in targets:
        if target.name:
            console.print(f"== {target.name} ==")
        show(_doctor_target(target.settings, path, write))
    problems = [c for c in checks if c.status is Status.FAIL]
    if not problems:
        console.print("doctor: every check passed")
        return EXIT_OK
    console.print(f"doctor: {len(problems)} problem{'s' if len(problems) > 1 else ''} to fix")
    return problems[0].exit_code or 1


def _doctor_target(settings: Settings, path: Path, write: bool) -> list[Check]:
    where = (settings.config_path or path).resolve()
    checks = [Check("config", Status.PASS, f"{where}: location {settings.location_id}")]
    checks.extend(check_local(settings))
    try:
        token = authorizer_for(settings)
    except MediasyncError as exc:
        return [*checks, failed("token", exc)]
    oauth = settings.oauth
    credential = (
        f"${settings.token_env} is set"
        if oauth is None
        else f"OAuth: app keys in ${oauth.client_id_env} and ${oauth.client_secret_env}, "
        f"tokens in {oauth.token_file}"
    )
    checks.append(Check("token", Status.PASS, credential))

    async def probe() -> list[Check]:
        remote = _http(settings, token)
        try:
            return await check_remote(
                remote, settings, _retry_policy(settings), lambda: remote.limiter.seen, write
            )
        finally:
            await remote.aclose()

    return [*checks, *asyncio.run(probe())]


def _verify(settings: Settings, content: bool) -> int:
    console = _console()
    store = StateStore.open_existing(
        settings.state_file, settings.location_id, settings.root_folder
    )
    if store is None:
        console.print("nothing synced yet: run mediasync sync first")
        return EXIT_OK
    try:
        entries = sorted(store.snapshot().entries.values(), key=lambda e: e.path)
    finally:
        store.close()

    def show(entry: StateEntry, finding: Finding) -> None:
        console.print(
            f"{finding.problem.value:9} {shown(entry.path)}: {shown(entry.url)} {finding.detail}"
        )

    async def run() -> VerifyReport:
        probe = HttpHostedProbe(_retry_policy(settings), settings.timeout)
        try:
            return await verify_entries(entries, probe, content, show)
        finally:
            await probe.aclose()

    report = asyncio.run(run())
    how = "bytes compared" if content else "HEAD"
    console.print(
        f"verify: {report.checked} checked ({how}), {report.ok} ok, "
        f"{report.count(Problem.MISSING)} missing, {report.count(Problem.MISMATCH)} different, "
        f"{report.count(Problem.UNCHECKED)} could not be checked"
    )
    if report.count(Problem.MISSING):
        console.print(shown(missing_hint(settings.restore_missing)))
    return EXIT_OK if not report.findings else EXIT_FAILED


def _http(settings: Settings, token: Authorizer, disk: DiskAccess | None = None) -> HttpLibrary:
    return HttpLibrary(
        settings.base_url,
        token,
        settings.location_id,
        settings.api_version,
        settings.timeout,
        disk=disk,
    )
