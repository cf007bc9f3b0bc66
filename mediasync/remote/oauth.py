"""`OAuthAuthorizer`: a Marketplace app's location token, kept fresh for `HttpLibrary`.

The access token is renewed before it expires (proactive) and when the API calls it invalid
(reactive); either way at most one refresh runs at a time. Every worker that finds the token
due waits on the same lock and then uses what the first one fetched, because the refresh
token is single-use: two refreshes with it would leave one worker holding a dead token, or,
if GHL revokes the old one at once, leave the location de-authorised. The rotated tokens are
on disk (atomically, 0600) before anyone uses them, so a crash right after a refresh never
loses the only valid refresh token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from mediasync.config import Secret
from mediasync.errors import AuthError, RetryableError
from mediasync.remote.token_endpoint import TokenEndpoint
from mediasync.tokenfile import TokenSet, file_lock, read_token_file, write_token_file

REFRESH_MARGIN = 60.0
"""Seconds before expiry at which the access token is renewed.

Twice the official SDKs' 30 s: a request's header is taken when it leaves the rate limiter,
but an upload of a large file may then take a while to reach the point where the gateway
checks it, and our clock may run behind GHL's. A day-long token loses nothing by it.
"""

_log = logging.getLogger(__name__)


class OAuthAuthorizer:
    def __init__(
        self,
        endpoint: TokenEndpoint,
        token_file: Path,
        location_id: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._endpoint = endpoint
        self._path = token_file
        self._clock = clock
        self._tokens = read_token_file(token_file)
        if self._tokens.location_id and self._tokens.location_id != location_id:
            raise AuthError(
                f"the OAuth token file {token_file} belongs to location "
                f"{self._tokens.location_id}, not [remote] location_id {location_id}: point "
                "oauth_file at this sub-account's tokens, or import them"
            )
        self._lock = asyncio.Lock()
        self.refreshes = 0
        """How many refreshes this authorizer made; for tests and the summary."""

    @property
    def advice(self) -> str:
        return (
            "the app's access token is refused even after a refresh: re-authorise the "
            "Marketplace app for this sub-account, then run `mediasync oauth exchange` (or "
            f"`oauth import`) to write {self._path} again"
        )

    async def authorization(self) -> Secret:
        if self._due(self._tokens):
            async with self._lock:
                # Whoever held the lock before us has probably just renewed it.
                if self._due(self._tokens):
                    await self._refresh_if_possible(self._tokens)
        return _header(self._tokens)

    async def renew(self, refused: Secret) -> bool:
        async with self._lock:
            if _header(self._tokens).value == refused.value:
                await self._refresh(self._tokens)
        return True

    async def aclose(self) -> None:
        await self._endpoint.aclose()

    def _due(self, tokens: TokenSet) -> bool:
        if not tokens.access_token:
            return True
        lifetime = tokens.expires_at - tokens.issued_at if tokens.issued_at else REFRESH_MARGIN
        # A token shorter-lived than twice the margin would otherwise be renewed on every call.
        margin = min(REFRESH_MARGIN, lifetime / 2)
        return tokens.expires_at - self._clock() < margin

    async def _refresh_if_possible(self, stale: TokenSet) -> None:
        try:
            await self._refresh(stale)
        except RetryableError:
            # The endpoint is down but the token has not run out yet: its last seconds are
            # worth more than failing requests that would still succeed.
            if not stale.access_token or stale.expires_at <= self._clock():
                raise
            _log.warning(
                "could not refresh the OAuth access token yet; using it for its last %.0f s",
                stale.expires_at - self._clock(),
                extra={"event": "token_refresh_failed"},
            )

    async def _refresh(self, stale: TokenSet) -> None:
        # Shielded: once the endpoint has rotated the refresh token, a cancelled run must
        # still write the new one down, or the location needs re-authorising.
        self._tokens = await asyncio.shield(self._refresh_and_store(stale))

    async def _refresh_and_store(self, stale: TokenSet) -> TokenSet:
        async with file_lock(self._path):
            # Another process (a `watch` beside an `ls`) may have refreshed meanwhile.
            current = await asyncio.to_thread(read_token_file, self._path)
            if current.access_token != stale.access_token and not self._due(current):
                return current
            fresh = await self._endpoint.refresh(current.refresh_token)
            await asyncio.to_thread(write_token_file, self._path, fresh)
        self.refreshes += 1
        _log.info(
            "refreshed the OAuth access token; the new one expires in %.0f s",
            fresh.expires_at - self._clock(),
            extra={"event": "token_refreshed"},
        )
        return fresh


def _header(tokens: TokenSet) -> Secret:
    return Secret(f"Bearer {tokens.access_token}")
