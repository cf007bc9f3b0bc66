"""Sandbox settings: one frozen value object that every other sandbox module reads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mediasync.sandbox.faults import FaultPlan

MB = 1024 * 1024
"""The sizes in GHL's docs ("25 MB") are binary megabytes."""

Clock = Callable[[], float]
"""Seconds since the epoch; injectable so tests move time instead of sleeping."""

Sleep = Callable[[float], Awaitable[None]]
"""asyncio.sleep or a stand-in; injectable so tests of slow answers never wait."""

TRIAL_RATE_MAX = 25
TRIAL_DAILY_LIMIT = 10_000

UPLOAD_STATUSES = (200, 201)
OVERSIZE_STATUSES = (413, 422)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything that makes one sandbox differ from another.

    Defaults follow the documented production contract; the knobs exist because the
    real service's behaviour is unknown or disputed in those places (see the fact sheet).
    """

    token: str = "sandbox-token"
    oauth_client_id: str = "sandbox-client-id"
    oauth_client_secret: str = "sandbox-client-secret"
    oauth_refresh_token: str = "sandbox-refresh-token"
    """The refresh token the sandbox starts with; single-use like every refresh token."""
    oauth_code: str = "sandbox-auth-code"
    """The authorization code the sandbox starts with, for the authorization_code grant."""
    access_token_ttl: int = 86399
    """Seconds of `clock` an issued access token lives (GHL's documented expires_in)."""
    location_id: str = "sbxLocation000000001"
    data_dir: Path | None = None
    rate_max: int = 100
    rate_interval_ms: int = 10_000
    daily_limit: int = 200_000
    max_file_bytes: int = 25 * MB
    max_video_bytes: int = 25 * MB
    upload_status: int = 201
    oversize_status: int = 413
    folder_status: int = 201
    list_default_limit: int = 100
    list_limit_cap: int = 100
    public_base_url: str | None = None
    retry_after_on_429: bool = False
    serve_deleted: bool = False
    faults: FaultPlan = field(default_factory=FaultPlan)
    clock: Clock = field(default=time.time, compare=False, repr=False)
    sleep: Sleep = field(default=asyncio.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.upload_status not in UPLOAD_STATUSES:
            raise ValueError(f"upload_status must be one of {UPLOAD_STATUSES}")
        if self.oversize_status not in OVERSIZE_STATUSES:
            raise ValueError(f"oversize_status must be one of {OVERSIZE_STATUSES}")
        if self.folder_status not in UPLOAD_STATUSES:
            raise ValueError(f"folder_status must be one of {UPLOAD_STATUSES}")
        positive = {
            "rate_max": self.rate_max,
            "rate_interval_ms": self.rate_interval_ms,
            "daily_limit": self.daily_limit,
            "max_file_bytes": self.max_file_bytes,
            "max_video_bytes": self.max_video_bytes,
            "list_default_limit": self.list_default_limit,
            "list_limit_cap": self.list_limit_cap,
            "access_token_ttl": self.access_token_ttl,
        }
        for name, value in positive.items():
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if not self.token:
            raise ValueError("token must not be empty")
        if not self.location_id:
            raise ValueError("location_id must not be empty")

    @classmethod
    def trial(cls, **overrides: Any) -> SandboxConfig:
        """The throttled limits GHL applies to trial/sandbox accounts' PITs (25/10 s, 10k/day)."""
        settings: dict[str, Any] = {"rate_max": TRIAL_RATE_MAX, "daily_limit": TRIAL_DAILY_LIMIT}
        settings.update(overrides)
        return cls(**settings)

    def with_changes(self, **changes: Any) -> SandboxConfig:
        """A copy with some fields replaced (e.g. a test pointing at its own clock)."""
        return replace(self, **changes)
