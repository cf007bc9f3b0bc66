"""Running the sandbox: in a background thread for synchronous tests, or in the foreground
for the command line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from types import TracebackType

from aiohttp import web

from mediasync.sandbox.app import create_app
from mediasync.sandbox.config import SandboxConfig
from mediasync.sandbox.context import FAULTS, LIBRARY
from mediasync.sandbox.faults import FaultPlan, parse_fault_spec
from mediasync.sandbox.library import Library

_STARTUP_TIMEOUT_S = 15.0
_SHUTDOWN_TIMEOUT_S = 2.0
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})


def _url_host(host: str) -> str:
    """A host a client can connect to: wildcards become loopback, IPv6 gets brackets."""
    if host in _WILDCARD_HOSTS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def _start_site(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(
        app, handle_signals=False, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = int(runner.addresses[0][1])
    return runner, bound_port


class BackgroundSandbox:
    """A sandbox serving from a daemon thread with its own event loop; running once built.

    `with BackgroundSandbox(config) as sandbox: ... sandbox.base_url ...`, or call
    `stop()` yourself. Port 0 (the default) picks a free port.
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.app = create_app(self.config)
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="mediasync-sandbox", daemon=True)
        self._thread.start()
        if not self._started.wait(_STARTUP_TIMEOUT_S):
            raise RuntimeError("sandbox did not start in time")
        if self._startup_error is not None:
            self._thread.join()
            raise RuntimeError("sandbox failed to start") from self._startup_error

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def library(self) -> Library:
        return self.app[LIBRARY]

    @property
    def faults(self) -> FaultPlan:
        return self.app[FAULTS].plan

    def set_faults(self, plan: FaultPlan | str) -> None:
        """Switch fault injection mid-run: a plan, a preset name or a compact spec.

        Safe from the test's thread: the injector locks, and only requests arriving after
        the switch see the new plan.
        """
        self.app[FAULTS].set_plan(parse_fault_spec(plan) if isinstance(plan, str) else plan)

    def stop(self) -> None:
        """Stop serving and wait for the thread; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_STARTUP_TIMEOUT_S)

    def __enter__(self) -> BackgroundSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._runner, self.port = self._loop.run_until_complete(
                _start_site(self.app, self.host, self.port)
            )
        except BaseException as exc:
            self._startup_error = exc
            self._loop.close()
            self._started.set()
            return
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            self._loop.run_until_complete(self._runner.cleanup())
            # A handler still lingering to drain a body it refused unread (a 401 upload) would
            # otherwise be destroyed pending when the loop closes, with a warning.
            leftovers = asyncio.all_tasks(self._loop)
            for task in leftovers:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            self._loop.close()


def _print_banner(host: str, port: int, config: SandboxConfig) -> None:
    # The demo script parses exactly these lines; keep their format stable.
    print(f"sandbox: base_url=http://{_url_host(host)}:{port}")
    print(f"sandbox: token={config.token}")
    print(f"sandbox: location_id={config.location_id}")
    if config.faults.active:
        print(f"sandbox: faults={config.faults.spec()}")
    print(f"sandbox: oauth_client_id={config.oauth_client_id}")
    print(f"sandbox: oauth_client_secret={config.oauth_client_secret}")
    print(f"sandbox: oauth_refresh_token={config.oauth_refresh_token}")
    print(f"sandbox: oauth_code={config.oauth_code}")
    sys.stdout.flush()


async def _serve(config: SandboxConfig, host: str, port: int) -> None:
    runner, bound_port = await _start_site(create_app(config), host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Unavailable on Windows and off the main thread; Ctrl-C then arrives as
        # KeyboardInterrupt, which asyncio.run turns into cancellation of this coroutine.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    _print_banner(host, bound_port, config)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def serve(config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 8787) -> None:
    """Serve until SIGINT/SIGTERM; prints the base URL, token and location id first."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(config or SandboxConfig(), host, port))
