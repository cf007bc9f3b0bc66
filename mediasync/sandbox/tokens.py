"""`TokenIssuer`: the OAuth grants the sandbox has handed out and which are still good.

One Marketplace app installed on the sandbox's one location. It starts with one refresh token
and one authorization code (both from the config, both single-use); every grant issues a new
access token, valid for `access_token_ttl` seconds of the sandbox's clock, and a new refresh
token, and the refresh token it was traded for is dead from then on. The static token of
`SandboxConfig.token` is not the issuer's business: it keeps working beside these.

Called from the sandbox's event loop and read by tests from their own thread, hence the lock.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from mediasync.sandbox.config import Clock


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenIssuer:
    def __init__(self, clock: Clock, ttl: int, refresh_token: str, code: str) -> None:
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}
        self._refresh = {refresh_token}
        self._codes = {code}
        self.refreshes = 0
        self.exchanges = 0

    def redeem_refresh_token(self, refresh_token: str) -> Grant | None:
        """A new grant for a live refresh token (which dies now); None for any other."""
        with self._lock:
            if refresh_token not in self._refresh:
                return None
            self._refresh.discard(refresh_token)
            self.refreshes += 1
            return self._issue()

    def redeem_code(self, code: str) -> Grant | None:
        with self._lock:
            if code not in self._codes:
                return None
            self._codes.discard(code)
            self.exchanges += 1
            return self._issue()

    def new_code(self) -> str:
        """Another authorization code, as if the app had been installed again."""
        code = f"sbx-code-{secrets.token_hex(8)}"
        with self._lock:
            self._codes.add(code)
        return code

    def accepts(self, access_token: str) -> bool:
        """An access token this issuer granted and whose lifetime has not run out."""
        with self._lock:
            expires_at = self._access.get(access_token)
        return expires_at is not None and self._clock() < expires_at

    def live_refresh_tokens(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._refresh)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "refreshes": self.refreshes,
                "exchanges": self.exchanges,
                "live_refresh_tokens": len(self._refresh),
            }

    def _issue(self) -> Grant:
        access = f"sbx-at-{secrets.token_hex(16)}"
        refresh = f"sbx-rt-{secrets.token_hex(16)}"
        self._access[access] = self._clock() + self._ttl
        self._refresh.add(refresh)
        return Grant(access, refresh, self._ttl)
