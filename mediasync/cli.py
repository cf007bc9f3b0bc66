"""The `mediasync` command: the one composition root. It reads the config, picks concrete
parts (HTTP remote, SQLite state), runs the engine under asyncio and turns results and errors
into the documented exit codes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import click
from rich.console import Console

from mediasync import __version__
from mediasync.config import Secret, Settings, find_config, load_settings, read_token
from mediasync.daemon import Daemon, WatchOptions, WatchStats
from mediasync.diskio import DiskAccess
from mediasync.engine import SyncOptions, SyncReport, make_plan, run_sync
from mediasync.errors import MediasyncError, RootError
from mediasync.folders import find_folder
from mediasync.interrupt import Interrupts
from mediasync.logs import FORMATS, EventLog, configure
from mediasync.manifest import render_manifest
from mediasync.models import Plan, SyncState
from mediasync.plan import Policy
from mediasync.preview import judge_uploads
from mediasync.remote import walk_tree
from mediasync.remote.http import HttpLibrary
from mediasync.report import (
    EXIT_OK,
    Traffic,
    exit_code_for,
    exit_code_for_plan,
    print_outcome,
    print_plan,
    print_summary,
    shown,
)
from mediasync.retrying import RetryPolicy, call_with_retries
from mediasync.scan import printable
from mediasync.state import StateStore, hold_lock
from mediasync.timings import Timings, since_process_start, wanted
from mediasync.watch import watch_paths

CONFIG_HELP = "Config file (default: $MEDIASYNC_CONFIG or ./mediasync.toml)."


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _errors() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mediasync")
def main() -> None:
    """Keep a local folder in one-way sync with a GoHighLevel Media Library."""


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--force", is_flag=True, help="Allow deletes beyond [sync] max_delete.")
@click.option("--remote-check", is_flag=True, help="Look for files deleted in the web app now.")
def sync(config_file: str | None, dry_run: bool, force: bool, remote_check: bool) -> None:
    """Upload new and changed files, delete remote copies of removed ones."""
    sys.exit(_guarded(lambda: _sync(_settings(config_file), dry_run, force, remote_check)))


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (one object per line) for log collectors.",
)
def watch(config_file: str | None, log_format: str) -> None:
    """Sync, then follow the folder's changes until stopped (Ctrl-C or SIGTERM)."""
    log = configure(log_format, sys.stderr)
    sys.exit(_logged(log, lambda: _watch(_settings(config_file), log)))


@main.command("ls")
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option("--all", "whole", is_flag=True, help="The whole library, not just the root folder.")
def list_remote(config_file: str | None, whole: bool) -> None:
    """Show the remote folder tree with each file's hosted URL."""
    sys.exit(_guarded(lambda: _ls(_settings(config_file), whole)))


@main.command()
@click.option("-c", "--config", "config_file", metavar="FILE", help=CONFIG_HELP)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
def manifest(config_file: str | None, fmt: str) -> None:
    """Print path, url, id, size and upload time of every synced file."""
    sys.exit(_guarded(lambda: _manifest(_settings(config_file), fmt)))


@main.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def sandbox(ctx: click.Context) -> None:
    """Run a local emulator of the Media Library API, for trying mediasync safely.

    Options (see `mediasync sandbox --help`): --host, --port, --token, --location-id,
    --data DIR, --trial and the fault and limit switches.
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
        log.error("fatal", f"error: {printable(str(exc))}", exit_code=exc.exit_code)
        return exc.exit_code


def _settings(config_file: str | None) -> Settings:
    return load_settings(find_config(config_file))


def _sync(settings: Settings, dry_run: bool, force: bool, remote_check: bool = False) -> int:
    timings = Timings()
    startup = since_process_start()
    if startup is not None:
        timings.add("startup", startup)
    console = _console()
    _check_root(settings)
    options = replace(_options(settings, force, remote_check), timings=timings)
    if dry_run:
        return _dry_run(settings, options, console)
    token = read_token(settings)
    with hold_lock(settings.state_file):
        store = StateStore.open(settings.state_file, settings.location_id)
        try:
            report, traffic, interrupts = asyncio.run(
                _sync_remote(settings, token, options, store, console)
            )
        finally:
            store.close()
    if report.plan != Plan() or report.outcomes:
        print_summary(console, report, traffic)
    if wanted():
        disk = options.disk
        way = "inline" if disk.inline else "in threads"
        _errors().print(f"{timings.describe()}; disk access {way}, {disk.slow_calls} slow calls")
    if interrupts.received is not None:
        console.print("interrupted: the state is consistent; run again to finish")
        return interrupts.exit_code
    return exit_code_for(report)


def _check_root(settings: Settings) -> None:
    if settings.local_path.exists() and not settings.local_path.is_dir():
        raise RootError(f"[local] path {settings.local_path} is a file, not a folder")
    if not settings.local_path.is_dir():
        raise RootError(
            f"the local folder {settings.local_path} does not exist: create it, mount it, "
            "or fix [local] path"
        )


def _options(settings: Settings, force: bool, remote_check: bool) -> SyncOptions:
    return SyncOptions(
        root=settings.local_path,
        root_folder=settings.root_folder,
        ignore=settings.ignore,
        state_dir=settings.state_file.parent,
        concurrency=settings.concurrency,
        policy=Policy(
            delete=settings.delete,
            max_delete=settings.max_delete,
            force=force,
            max_file_bytes=settings.max_file_bytes,
            max_video_bytes=settings.max_video_bytes,
            restore_missing=settings.restore_missing,
        ),
        retry=_retry_policy(settings),
        clock=time.time,
        grace=settings.grace_period,
        remote_check_interval=settings.remote_check_interval,
        force_remote_check=remote_check,
    )


def _dry_run(settings: Settings, options: SyncOptions, console: Console) -> int:
    """Plan against the state as it stands, reading it only: no lock, no file, no request."""
    store = StateStore.open_existing(settings.state_file, settings.location_id)
    try:
        state = store.snapshot() if store else SyncState()
    finally:
        if store:
            store.close()
    plan = make_plan(options, state)
    if plan.fatal:
        raise RootError(plan.fatal)
    plan = judge_uploads(plan, options.root)
    print_plan(console, plan)
    return exit_code_for_plan(plan)


async def _sync_remote(
    settings: Settings, token: Secret, options: SyncOptions, store: StateStore, console: Console
) -> tuple[SyncReport, Traffic, Interrupts]:
    loop = asyncio.get_running_loop()
    interrupts = Interrupts(asyncio.Event(), _errors().print, settings.grace_period)
    remote = _http(settings, token, options.disk)

    async def run() -> SyncReport:
        with options.timings.phase("access"):
            await call_with_retries(options.retry, remote.check_access)
        return await run_sync(
            options, remote, store, lambda o: print_outcome(console, o), interrupts.stop
        )

    task = asyncio.ensure_future(run())

    # The pool honours the grace period itself; this catches a phase stuck elsewhere (a slow
    # listing, say). Cancelling is safe: intents cover whatever it cuts short.
    def cut_off_later() -> None:
        loop.call_later(settings.grace_period + 5, task.cancel)

    interrupts.on_stop = cut_off_later
    try:
        with interrupts.installed(loop):
            report = await task
    except asyncio.CancelledError:
        if interrupts.received is None:
            raise
        report = SyncReport(Plan(), interrupted=True)
    except MediasyncError:
        traffic = Traffic(remote.limiter.requests, remote.limiter.throttled)
        console.print(f"sync stopped; {traffic.describe()}")
        raise
    finally:
        await remote.aclose()
    return report, Traffic(remote.limiter.requests, remote.limiter.throttled), interrupts


def _watch(settings: Settings, log: EventLog) -> int:
    _check_root(settings)
    options = _options(settings, force=False, remote_check=False)
    token = read_token(settings)
    with hold_lock(settings.state_file):
        store = StateStore.open(settings.state_file, settings.location_id)
        try:
            stats = asyncio.run(_watch_remote(settings, token, options, store, log))
        finally:
            store.close()
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
    settings: Settings, token: Secret, options: SyncOptions, store: StateStore, log: EventLog
) -> WatchStats:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    interrupts = Interrupts(stop, lambda text: log.info("signal", text), settings.grace_period)
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

    async def run() -> WatchStats:
        await call_with_retries(options.retry, remote.check_access)
        return await daemon.run()

    task = asyncio.ensure_future(run())

    def cut_off_later() -> None:
        loop.call_later(settings.grace_period + 5, task.cancel)

    interrupts.on_stop = cut_off_later
    try:
        with interrupts.installed(loop):
            return await task
    except asyncio.CancelledError:
        if interrupts.received is None:
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
    token = read_token(settings)

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
    store = StateStore.open_existing(settings.state_file, settings.location_id)
    if store is None:
        _errors().print("nothing synced yet: run mediasync sync first")
        click.echo(render_manifest(SyncState(), fmt), nl=False)
        return EXIT_OK
    try:
        click.echo(render_manifest(store.snapshot(), fmt), nl=False)
    finally:
        store.close()
    return EXIT_OK


def _http(settings: Settings, token: Secret, disk: DiskAccess | None = None) -> HttpLibrary:
    return HttpLibrary(
        settings.base_url,
        token,
        settings.location_id,
        settings.api_version,
        settings.timeout,
        disk=disk,
    )
