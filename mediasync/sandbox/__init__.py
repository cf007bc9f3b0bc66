"""A faithful local emulator of the GoHighLevel Media Library API v2 (aiohttp.web).

It depends on nothing else in mediasync, so the client can be tested against it and it can
be run on its own: `python -m mediasync.sandbox --port 8787`.
"""

from mediasync.sandbox.app import create_app
from mediasync.sandbox.config import SandboxConfig
from mediasync.sandbox.context import CONFIG, FAULTS, LIBRARY, RATE_LIMITER, TOKENS
from mediasync.sandbox.fault_injector import FaultInjector
from mediasync.sandbox.faults import FAULT_PRESETS, FaultKind, FaultPlan, parse_fault_spec
from mediasync.sandbox.library import Library
from mediasync.sandbox.records import MediaRecord, StoredFile
from mediasync.sandbox.server import BackgroundSandbox, serve
from mediasync.sandbox.tokens import TokenIssuer

__all__ = [
    "CONFIG",
    "FAULTS",
    "FAULT_PRESETS",
    "LIBRARY",
    "RATE_LIMITER",
    "TOKENS",
    "BackgroundSandbox",
    "FaultInjector",
    "FaultKind",
    "FaultPlan",
    "Library",
    "MediaRecord",
    "SandboxConfig",
    "StoredFile",
    "TokenIssuer",
    "create_app",
    "parse_fault_spec",
    "serve",
]
