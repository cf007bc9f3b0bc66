"""`HttpLibrary`: the Media Library API v2 over aiohttp.

Sends exactly what the contract says (ghl-media-api.md §2): Bearer token, `Version` header,
altType/altId where required, multipart uploads with text fields before the file part.
Parses tolerantly: any 2xx, `_id`/`id`/`fileId`, HTML error pages, header names in any case.
This module is the one boundary where aiohttp errors and HTTP statuses become mediasync errors.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.payload import Payload

from mediasync.config import Secret
from mediasync.diskio import DiskAccess
from mediasync.errors import (
    AuthError,
    MediasyncError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    RetryableError,
)
from mediasync.models import RemoteItem, UploadResult
from mediasync.ratelimit import RateLimiter
from mediasync.remote.auth import Authorizer, StaticToken
from mediasync.remote.form import UploadForm
from mediasync.remote.hosted import sha256_of_body
from mediasync.remote.streaming import Digest

PAGE_SIZE = 100
_TRANSIENT_401 = "command timed out"
# What GHL says of a bad or expired access token (§6); scope and Version 401s say otherwise,
# and a refresh cannot cure them.
_TOKEN_401 = ("invalid token", "token is invalid", "expired")


class HttpLibrary:
    def __init__(
        self,
        base_url: str,
        token: Secret | Authorizer,
        location_id: str,
        api_version: str = "2021-07-28",
        timeout: float = 300.0,
        session: aiohttp.ClientSession | None = None,
        limiter: RateLimiter | None = None,
        disk: DiskAccess | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._wall_clock = wall_clock
        self._clock_offset: float | None = None
        self._last_date: str | None = None
        self.timeout = timeout
        self._location = location_id
        self._auth = StaticToken(token) if isinstance(token, Secret) else token
        self._headers = {
            "Version": api_version,
            "Accept": "application/json",
        }
        self.limiter = limiter or RateLimiter()
        self.disk = disk or DiskAccess()
        # The longest page the server has returned: a shorter one is surely the last.
        self._page_cap = 1
        self._session = session or aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=30)
        )

    async def aclose(self) -> None:
        await self._session.close()
        await self._auth.aclose()

    async def check_access(self) -> None:
        await self._request("GET", "/medias/files", params=self._list_params(None, False, 0, 1))

    async def list_items(self, parent_id: str | None, *, folders: bool) -> list[RemoteItem]:
        items: dict[str, RemoteItem] = {}
        offset = 0
        previous_page: list[str] = []
        while True:
            body = await self._request(
                "GET", "/medias/files", params=self._list_params(parent_id, folders, offset)
            )
            raw = body.get("files") if isinstance(body, dict) else body
            page = [item for item in (raw if isinstance(raw, list) else []) if _is_live(item)]
            ids = [_id_of(item) for item in page]
            # A server that ignores offset would repeat the first page forever.
            if ids and ids == previous_page:
                break
            for item in page:
                parsed = _parse_item(item, folders)
                # A server that drops parentId (ghl-media-api.md §9.1) must not make root
                # items look as if they were inside the folder asked for.
                if parsed is None or ("parentId" in item and parsed.parent_id != parent_id):
                    continue
                items.setdefault(parsed.id, parsed)
            raw_count = len(raw) if isinstance(raw, list) else 0
            if raw_count == 0 or raw_count < self._page_cap:
                break
            # The page limit is undocumented and may be capped below what we ask for: a page as
            # long as the longest yet seen may not be the last, so ask once more and learn.
            self._page_cap = max(self._page_cap, raw_count) if raw_count < PAGE_SIZE else PAGE_SIZE
            previous_page = ids
            offset += raw_count
        return list(items.values())

    async def create_folder(self, name: str, parent_id: str | None) -> RemoteItem:
        payload: dict[str, Any] = {"altId": self._location, "altType": "location", "name": name}
        if parent_id:
            payload["parentId"] = parent_id
        body = await self._request("POST", "/medias/folder", json_body=payload)
        folder_id = _id_of(body) if isinstance(body, dict) else ""
        if not folder_id:
            raise RetryableError("folder created but the answer carried no id", None)
        return RemoteItem(folder_id, name, parent_id, is_folder=True)

    async def upload(
        self, path: Path, size: int, name: str, parent_id: str | None, content_type: str
    ) -> UploadResult:
        digest = Digest()
        fields = [("name", name), *([("parentId", parent_id)] if parent_id else [])]
        fields.append(("hosted", "false"))

        def form() -> UploadForm:
            nonlocal digest
            # A resend after a token refresh rereads the file: the digest must be of that read.
            digest = Digest()
            return UploadForm(fields, path, size, name, content_type, digest, self.disk)

        body = await self._request("POST", "/medias/upload-file", data=form)
        if not isinstance(body, dict):
            raise RetryableError("upload answered without a JSON object", None)
        remote_id = _id_of(body)
        url = body.get("url") or body.get("fileUrl") or ""
        if not remote_id or not isinstance(url, str) or not url:
            raise RetryableError("upload answered without a file id and url", None)
        return UploadResult(remote_id, url, digest.hexdigest(), digest.size)

    async def delete(self, remote_id: str) -> None:
        await self._request(
            "DELETE",
            f"/medias/{remote_id}",
            params={"altType": "location", "altId": self._location},
        )

    async def rename(self, remote_id: str, name: str) -> None:
        body = await self._request(
            "POST",
            f"/medias/{remote_id}",
            json_body={"name": name, "altType": "location", "altId": self._location},
        )
        if isinstance(body, dict) and body.get("updated") is False:
            raise RejectedError(f"POST /medias/{remote_id}: the rename was not applied", None)

    def server_clock_offset(self) -> float | None:
        return self._clock_offset

    async def hosted_sha256(self, url: str) -> str | None:
        # A CDN or bucket URL, not the API: no token, and the API's rate limit does not apply.
        try:
            async with self._session.get(url, allow_redirects=True) as response:
                if not 200 <= response.status < 300:
                    return None
                return await sha256_of_body(response)
        except (TimeoutError, aiohttp.ClientError, ValueError):
            return None

    def _list_params(
        self, parent_id: str | None, folders: bool, offset: int, limit: int = PAGE_SIZE
    ) -> dict[str, str]:
        params = {
            "altType": "location",
            "altId": self._location,
            "sortBy": "createdAt",
            "sortOrder": "asc",
            "type": "folder" if folders else "file",
            "offset": str(offset),
            "limit": str(limit),
        }
        if parent_id:
            params["parentId"] = parent_id
        return params

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        data: Callable[[], Payload] | None = None,
    ) -> Any:
        """One request; resent once, body rebuilt, when a refreshed token can cure a 401."""
        what = f"{method} {path}"
        await self.limiter.acquire()
        # Asked after the limiter's wait, which can be long, so a token due meanwhile is renewed.
        sent = await self._auth.authorization()
        status, headers, text = await self._send(method, path, params, json_body, data, sent)
        if status == 401 and _is_token_refusal(text) and await self._auth.renew(sent):
            await self.limiter.acquire()
            sent = await self._auth.authorization()
            status, headers, text = await self._send(method, path, params, json_body, data, sent)
        body = _parse_json(text)
        if status == 429:
            self.limiter.throttle(headers)
            # The limiter now holds every worker back; the retry itself need not wait.
            raise RateLimitedError(f"{what}: 429 {_message_of(body, text)}", 429, wait=0.0)
        self.limiter.observe(headers)
        if 200 <= status < 300:
            return body
        raise _error_for(what, status, body, text, self._location, self._auth.advice)

    async def _send(
        self,
        method: str,
        path: str,
        params: dict[str, str] | None,
        json_body: dict[str, Any] | None,
        data: Callable[[], Payload] | None,
        authorization: Secret,
    ) -> tuple[int, Any, str]:
        what = f"{method} {path}"
        try:
            async with self._session.request(
                method,
                f"{self._base}{path}",
                params=params,
                json=json_body,
                data=data() if data else None,
                headers={**self._headers, "Authorization": authorization.value},
            ) as response:
                text = await response.text(errors="replace")
                status = response.status
                headers = response.headers
                self._observe_date(headers.get("Date"))
        except TimeoutError as exc:
            raise RetryableError(f"{what}: timed out", None) from exc
        except aiohttp.ClientConnectorError as exc:
            # Refused or unreachable: the request never left, so it cannot have taken effect.
            reason = exc.os_error.strerror or str(exc.os_error)
            raise RetryableError(
                f"{what}: cannot connect to {self._base} ({reason})", None, False
            ) from exc
        except aiohttp.ClientError as exc:
            raise RetryableError(f"{what}: connection failed ({type(exc).__name__})", None) from exc
        return status, headers, text


    def _observe_date(self, date: str | None) -> None:
        # The Date header is stamped as the answer starts, to the whole second.
        # Every answer carries it, and it changes once a second: parse each value once.
        if not date or date == self._last_date:
            return
        self._last_date = date
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            return
        self._clock_offset = server - self._wall_clock()


def _is_token_refusal(text: str) -> bool:
    message = _message_of(_parse_json(text), text).lower()
    return "version header" not in message and any(words in message for words in _TOKEN_401)


def _error_for(
    what: str, status: int, body: Any, text: str, location: str, advice: str
) -> MediasyncError:
    message = _message_of(body, text)
    detail = f"{what}: {status} {message}".rstrip()
    if status == 401 and _TRANSIENT_401 in message.lower():
        return RetryableError(detail, status)
    if status == 401:
        return AuthError(f"the token was refused ({message}): {advice}")
    if status == 403:
        return AuthError(
            f"access denied ({message}): the token must belong to location {location} and "
            "have the medias.readonly and medias.write scopes"
        )
    if status == 404:
        return NotFoundError(detail, status)
    if status >= 500 or status == 408:
        return RetryableError(detail, status)
    return RejectedError(detail, status)


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        return None


def _message_of(body: Any, text: str) -> str:
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body.get("msg")
        if isinstance(message, list):
            return "; ".join(str(m) for m in message)
        if message:
            return str(message)
    plain = re.sub(r"<[^>]+>", " ", text)
    return " ".join(plain.split())[:200]


def _id_of(item: Any) -> str:
    for key in ("_id", "id", "fileId"):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, str) and value:
            return value
    return ""


def _is_live(item: Any) -> bool:
    if not isinstance(item, dict) or not _id_of(item):
        return False
    return item.get("deleted") is not True and item.get("status") not in ("trashed", "deleted")


def _parse_item(item: dict[str, Any], folders: bool) -> RemoteItem | None:
    kind = item.get("type")
    is_folder = kind == "folder" if isinstance(kind, str) else folders
    if is_folder != folders:
        return None
    parent = item.get("parentId")
    url = item.get("url")
    created = item.get("createdAt")
    return RemoteItem(
        id=_id_of(item),
        name=str(item.get("name") or ""),
        parent_id=parent if isinstance(parent, str) and parent else None,
        is_folder=is_folder,
        url=url if isinstance(url, str) else None,
        created_at=created if isinstance(created, str) else None,
    )
