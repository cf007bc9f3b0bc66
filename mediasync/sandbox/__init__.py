"""A faithful local emulator of the GoHighLevel Media Library API v2 (aiohttp.web).

It depends on nothing else in mediasync, so the client can be tested against it and it can
be run on its own: `python -m mediasync.sandbox --port 8787`.
"""

from mediasync.sandbox.app import create_app
from mediasync.sandbox.config import SandboxConfig
from mediasync.sandbox.context import CONFIG, LIBRARY, RATE_LIMITER
from mediasync.sandbox.library import Library
from mediasync.sandbox.records import MediaRecord, StoredFile
from mediasync.sandbox.server import BackgroundSandbox, serve

__all__ = [
    "CONFIG",
    "LIBRARY",
    "RATE_LIMITER",
    "BackgroundSandbox",
    "Library",
    "MediaRecord",
    "SandboxConfig",
    "StoredFile",
    "create_app",
    "serve",
]
