"""What every request handler can reach through the application: typed keys and accessors."""

from __future__ import annotations

from aiohttp import web

from mediasync.sandbox.config import SandboxConfig
from mediasync.sandbox.fault_injector import FaultInjector
from mediasync.sandbox.library import Library
from mediasync.sandbox.ratelimit import RateLimiter
from mediasync.sandbox.tokens import TokenIssuer

CONFIG = web.AppKey("sandbox_config", SandboxConfig)
LIBRARY = web.AppKey("sandbox_library", Library)
RATE_LIMITER = web.AppKey("sandbox_rate_limiter", RateLimiter)
FAULTS = web.AppKey("sandbox_faults", FaultInjector)
TOKENS = web.AppKey("sandbox_tokens", TokenIssuer)


def config_of(request: web.Request) -> SandboxConfig:
    return request.app[CONFIG]


def library_of(request: web.Request) -> Library:
    return request.app[LIBRARY]


def base_url_of(request: web.Request) -> str:
    """Scheme and host that hosted URLs should start with.

    Taken from the request unless configured, so a sandbox on port 0, behind a proxy or in
    a container hands out URLs its client can actually reach.
    """
    configured = config_of(request).public_base_url
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.host}"
