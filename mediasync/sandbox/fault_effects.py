"""What each injected fault looks like from the client's side of the wire: a JSON 500, the
gateway's HTML 502/503 pages and its plain-text 401 `Command timed out`, connections cut
before or after the work is done, and late answers.
"""

from __future__ import annotations

import contextlib
import socket
import struct

from aiohttp import web
from aiohttp.typedefs import Handler

from mediasync.sandbox.config import Sleep
from mediasync.sandbox.counters import Counters, Event
from mediasync.sandbox.errors import nest_error
from mediasync.sandbox.fault_injector import InjectedFault
from mediasync.sandbox.faults import FaultKind
from mediasync.sandbox.upload import UPLOAD_PATH

CONNECTION_CLOSED = 444
"""nginx's status for connections closed without any response; only ever seen in the counters."""
RESET_AFTER_BYTES = 64 * 1024
"""The most of a request body read before a `reset` cuts the connection."""
BAD_GATEWAY_HTML = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    "</h1></center><hr><center>nginx</center></body></html>"
)
SERVICE_UNAVAILABLE_HTML = (
    "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
    "<h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center>"
    "</body></html>"
)
COMMAND_TIMED_OUT = "Command timed out"


class GatewayError(web.HTTPException):
    """An error answered by the gateway in front of the API, so not in the NestJS JSON shape."""

    def __init__(self, status: int, text: str, content_type: str) -> None:
        # Same trick as errors.ApiError: one class for every status.
        self.status_code = status
        super().__init__(text=text, content_type=content_type)


async def apply_fault(
    fault: InjectedFault,
    request: web.Request,
    handler: Handler,
    *,
    sleep: Sleep,
    counters: Counters,
) -> web.StreamResponse:
    """Answer `request` the way `fault` says, calling `handler` only if the fault lets the
    request be carried out."""
    kind = fault.kind
    if kind is FaultKind.ERROR_500:
        raise nest_error(500, "Internal server error", with_error_name=False)
    if kind is FaultKind.HTML_502:
        raise GatewayError(502, BAD_GATEWAY_HTML, "text/html")
    if kind is FaultKind.HTML_503:
        raise GatewayError(503, SERVICE_UNAVAILABLE_HTML, "text/html")
    if kind is FaultKind.COMMAND_TIMEOUT:
        if fault.plan.command_timeout_after_store:
            await _carry_out(request, handler)
        raise GatewayError(401, COMMAND_TIMED_OUT, "text/plain")
    if kind is FaultKind.RESET:
        read = await _read_part_of_body(request)
        if request.path == UPLOAD_PATH:
            counters.add(Event.UPLOAD_BYTES_READ, read)
        _cut_connection(request, reset=True)
        return web.Response(status=CONNECTION_CLOSED)
    if kind is FaultKind.DROP_AFTER_STORE:
        await _carry_out(request, handler)
        with contextlib.suppress(Exception):
            # Consume what the handler left unread (e.g. the multipart epilogue) so the
            # close is an orderly FIN, not an RST: the server did get the whole request.
            await request.release()
        _cut_connection(request, reset=False)
        return web.Response(status=CONNECTION_CLOSED)
    assert kind is FaultKind.SLOW
    # The work is done first and only the answer is late, so a client that gives up waiting
    # has nonetheless changed the library, exactly like a slow real server.
    try:
        response = await handler(request)
    except web.HTTPException:
        await sleep(fault.plan.slow_seconds)
        raise
    await sleep(fault.plan.slow_seconds)
    return response


async def _carry_out(request: web.Request, handler: Handler) -> None:
    """Run the request to completion; its answer, success or error, is never sent."""
    with contextlib.suppress(web.HTTPException):
        await handler(request)


async def _read_part_of_body(request: web.Request) -> int:
    """Read about half of the body (at most RESET_AFTER_BYTES); returns the bytes read."""
    if not request.body_exists:
        return 0
    length = request.content_length
    target = RESET_AFTER_BYTES if length is None else min(length // 2, RESET_AFTER_BYTES)
    read = 0
    while read < target:
        chunk = await request.content.read(target - read)
        if not chunk:
            break
        read += len(chunk)
    return read


def _cut_connection(request: web.Request, *, reset: bool) -> None:
    """Close the client's connection without answering.

    With `reset`, SO_LINGER 0 makes the close an RST, which the client sees as "connection
    reset by peer" even if it is still sending; otherwise it sees the server hang up.
    aiohttp then fails to write the handler's response and quietly drops it.
    """
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
