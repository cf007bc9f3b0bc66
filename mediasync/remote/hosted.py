"""Hosted URLs: does a recorded URL still serve the file that was uploaded?

A HEAD answers "is it there"; a GET streamed through sha256 answers "is it the same bytes".
Hosted URLs live on a CDN or storage bucket, not the API: no token is sent and the API's rate
limit does not apply. This module is the boundary where aiohttp errors on those URLs become
mediasync errors; a missing or different file is a finding, not an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Protocol

import aiohttp

from mediasync.errors import MediasyncError, RetryableError
from mediasync.retrying import RetryPolicy, call_with_retries

CHUNK_BYTES = 256 * 1024


class Problem(Enum):
    MISSING = "missing"
    MISMATCH = "mismatch"
    UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class Finding:
    problem: Problem
    detail: str


class HostedProbe(Protocol):
    async def probe(self, url: str, sha256: str | None) -> Finding | None:
        """None when `url` serves a file (with `sha256`: exactly those bytes); else why not."""


class HttpHostedProbe:
    def __init__(self, retry: RetryPolicy, timeout: float = 300.0) -> None:
        self._retry = retry
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=30)
        )

    async def aclose(self) -> None:
        await self._session.close()

    async def probe(self, url: str, sha256: str | None) -> Finding | None:
        try:
            return await call_with_retries(self._retry, partial(self._once, url, sha256))
        except MediasyncError as exc:
            return Finding(Problem.UNCHECKED, f"could not be checked ({exc})")

    async def _once(self, url: str, sha256: str | None) -> Finding | None:
        method = "HEAD" if sha256 is None else "GET"
        try:
            async with self._session.request(method, url, allow_redirects=True) as response:
                if response.status == 405 and method == "HEAD":
                    return await self._once_by_get(url)
                finding = _judge_status(response.status)
                if finding is not None or sha256 is None:
                    return finding
                served = await sha256_of_body(response)
        except TimeoutError as exc:
            raise RetryableError(f"{method} {url}: timed out", None, False) from exc
        except aiohttp.ClientError as exc:
            raise RetryableError(f"{method} {url}: {type(exc).__name__}", None, False) from exc
        if served != sha256:
            return Finding(Problem.MISMATCH, "serves different bytes than were uploaded")
        return None

    async def _once_by_get(self, url: str) -> Finding | None:
        """Some servers refuse HEAD; a GET whose body is not read answers the same question."""
        async with self._session.get(url) as response:
            return _judge_status(response.status)


async def sha256_of_body(response: aiohttp.ClientResponse) -> str:
    """The sha256 of a response's body, streamed through in chunks (never held whole)."""
    digest = hashlib.sha256()
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def _judge_status(status: int) -> Finding | None:
    if status in (404, 410):
        return Finding(Problem.MISSING, f"is gone ({status})")
    if status >= 500 or status == 429:
        raise RetryableError(f"hosted URL answered {status}", status, False)
    if not 200 <= status < 300:
        return Finding(Problem.MISSING, f"does not serve the file ({status})")
    return None
