"""Identifier minting: ObjectId-like 24-hex media ids that only ever increase, and trace ids."""

from __future__ import annotations

import secrets
import threading
import uuid

from mediasync.sandbox.config import Clock

_COUNTER_MASK = 0xFFFFFF
_ID_HEX_DIGITS = 24


def is_object_id(value: str) -> bool:
    """True for the 24-lowercase-hex shape every media id has."""
    return len(value) == _ID_HEX_DIGITS and all(c in "0123456789abcdef" for c in value)


def new_trace_id() -> str:
    return str(uuid.uuid4())


class ObjectIdFactory:
    """Mints ids laid out like MongoDB ObjectIds: 4-byte seconds, 5 random bytes, 3-byte counter.

    The real layout is only increasing per process and per second; the sandbox additionally
    forces strict increase (also across restarts and backwards clock jumps in tests) so that
    "sort by _id" is the same as "sort by creation order", which the tie-break rules rely on.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._process_random = secrets.randbits(40)
        self._counter = secrets.randbits(24)
        self._last = 0
        self._lock = threading.Lock()

    def observe(self, existing_id: str) -> None:
        """Remember an id minted by an earlier run so new ids sort after it."""
        with self._lock:
            self._last = max(self._last, int(existing_id, 16))

    def new(self) -> str:
        with self._lock:
            self._counter = (self._counter + 1) & _COUNTER_MASK
            seconds = int(self._clock()) & 0xFFFFFFFF
            value = (seconds << 64) | (self._process_random << 24) | self._counter
            value = max(value, self._last + 1)
            self._last = value
            return f"{value:0{_ID_HEX_DIGITS}x}"
