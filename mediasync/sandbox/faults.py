"""Fault plans: which failures of the real service the sandbox imitates, and how often.

A `FaultPlan` is a value (per-kind probabilities plus a seed); it can be written as a compact
spec string such as `"500:0.05,drop:0.05,slow:0.1,slow_seconds:1,seed:7"` or named by a
preset (`"none"`, `"chaos"`). Applying a plan to requests is the job of `fault_injector.py`
and `fault_effects.py`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class FaultKind(StrEnum):
    """One way a request can fail; the value is also the `FaultPlan` field holding its rate.

    Declaration order matters: it fixes how one random draw maps onto a kind, which is what
    makes a seeded run reproducible.
    """

    ERROR_500 = "error_500"
    HTML_502 = "html_502"
    HTML_503 = "html_503"
    COMMAND_TIMEOUT = "command_timeout"
    RESET = "reset"
    DROP_AFTER_STORE = "drop_after_store"
    SLOW = "slow"


SPEC_ALIASES: Mapping[str, FaultKind] = MappingProxyType(
    {
        "500": FaultKind.ERROR_500,
        "502": FaultKind.HTML_502,
        "503": FaultKind.HTML_503,
        "cmd401": FaultKind.COMMAND_TIMEOUT,
        "reset": FaultKind.RESET,
        "drop": FaultKind.DROP_AFTER_STORE,
        "slow": FaultKind.SLOW,
    }
)
"""Short spec names; the full kind names (`error_500`, `drop_after_store`, ...) work too."""

_SHORT_NAMES = {kind: alias for alias, kind in SPEC_ALIASES.items()}
DEFAULT_SLOW_SECONDS = 2.0
_SLOW_SECONDS_KEY = "slow_seconds"
_SEED_KEY = "seed"
_AFTER_STORE_KEY = "cmd401_after_store"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})
# Rates are summed in floating point; "0.1" ten times must still be allowed.
_TOTAL_TOLERANCE = 1e-9


def _number_text(value: float) -> str:
    """`1` and `0.05` rather than `1.0`, yet exact: `g` alone rounds to six digits."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


@dataclass(frozen=True)
class FaultPlan:
    """Per-request probabilities of each fault kind (at most one fault per request).

    `command_timeout_after_store` makes the 401 `Command timed out` come after the request was
    carried out (the real gateway's timeout is ambiguous); by default nothing is done.
    """

    error_500: float = 0.0
    html_502: float = 0.0
    html_503: float = 0.0
    command_timeout: float = 0.0
    reset: float = 0.0
    drop_after_store: float = 0.0
    slow: float = 0.0
    slow_seconds: float = DEFAULT_SLOW_SECONDS
    seed: int | None = None
    command_timeout_after_store: bool = False

    def __post_init__(self) -> None:
        for kind in FaultKind:
            rate = self.rate(kind)
            if not 0.0 <= rate <= 1.0:  # also false for NaN
                raise ValueError(f"fault rate of {kind.value} must be within 0..1, got {rate}")
        if self.total_rate > 1.0 + _TOTAL_TOLERANCE:
            raise ValueError(
                f"fault rates add up to {self.total_rate:g}; "
                "at most one fault hits a request, so the total must not exceed 1"
            )
        if not (math.isfinite(self.slow_seconds) and self.slow_seconds >= 0):
            raise ValueError(f"slow_seconds must be a non-negative number, got {self.slow_seconds}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")

    def rate(self, kind: FaultKind) -> float:
        value: float = getattr(self, kind.value)
        return value

    def rates(self) -> dict[FaultKind, float]:
        return {kind: self.rate(kind) for kind in FaultKind}

    @property
    def total_rate(self) -> float:
        return sum(self.rates().values())

    @property
    def active(self) -> bool:
        return any(rate > 0 for rate in self.rates().values())

    def kind_for(self, roll: float) -> FaultKind | None:
        """The fault a uniform draw in [0, 1) lands on: kinds own consecutive slices of the
        unit interval in declaration order, and the rest means no fault."""
        edge = 0.0
        for kind in FaultKind:
            edge += self.rate(kind)
            if roll < edge:
                return kind
        return None

    def spec(self) -> str:
        """The compact spec that `parse_fault_spec` turns back into this very plan."""
        items = [
            f"{_SHORT_NAMES[kind]}:{_number_text(rate)}"
            for kind, rate in self.rates().items()
            if rate
        ]
        if self.slow_seconds != DEFAULT_SLOW_SECONDS:
            items.append(f"{_SLOW_SECONDS_KEY}:{_number_text(self.slow_seconds)}")
        if self.command_timeout_after_store:
            items.append(f"{_AFTER_STORE_KEY}:true")
        if self.seed is not None:
            items.append(f"{_SEED_KEY}:{self.seed}")
        return ",".join(items) if items else "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec(),
            "rates": {kind.value: rate for kind, rate in self.rates().items()},
            "slow_seconds": self.slow_seconds,
            "seed": self.seed,
            "command_timeout_after_store": self.command_timeout_after_store,
        }

    def with_changes(self, **changes: Any) -> FaultPlan:
        return replace(self, **changes)


FAULT_PRESETS: Mapping[str, FaultPlan] = MappingProxyType(
    {
        "none": FaultPlan(),
        # About 27 % of API requests fail in some way; slow answers are kept short so a
        # chaos run of a few hundred requests still finishes quickly.
        "chaos": FaultPlan(
            error_500=0.04,
            html_502=0.04,
            html_503=0.04,
            command_timeout=0.03,
            reset=0.04,
            drop_after_store=0.05,
            slow=0.03,
            slow_seconds=1.0,
        ),
    }
)

_RATE_FIELDS = frozenset(kind.value for kind in FaultKind)


def _number(key: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"fault spec item {key!r} needs a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"fault spec item {key!r} needs a finite number, got {raw!r}")
    return value


def _flag(key: str, raw: str) -> bool:
    if raw in _TRUE_WORDS:
        return True
    if raw in _FALSE_WORDS:
        return False
    raise ValueError(f"fault spec item {key!r} needs true or false, got {raw!r}")


def _known_names() -> str:
    return (
        f"presets {', '.join(FAULT_PRESETS)}; kinds {', '.join(SPEC_ALIASES)}; "
        f"options {_SLOW_SECONDS_KEY}, {_SEED_KEY}, {_AFTER_STORE_KEY}"
    )


def parse_fault_spec(spec: str) -> FaultPlan:
    """Turn `"chaos"`, `"500:0.05,reset:0.02,seed:7"` or a mix (`"chaos,slow:0"`) into a plan.

    Items are comma-separated and applied left to right, later ones overriding earlier ones:
    a preset name replaces everything, `KIND:RATE` sets one probability (KIND is 500, 502,
    503, cmd401, reset, drop, slow or a full kind name), and `slow_seconds:S`, `seed:N` and
    `cmd401_after_store:true|false` set the other knobs. Raises ValueError on anything else.
    """
    items = [item.strip().lower() for item in spec.split(",")]
    if not any(items):
        raise ValueError("empty fault spec; use 'none' for no faults")
    plan = FaultPlan()
    changes: dict[str, Any] = {}
    for item in items:
        if not item:
            raise ValueError(f"empty item in fault spec {spec!r}")
        if item in FAULT_PRESETS:
            plan, changes = FAULT_PRESETS[item], {}
            continue
        key, colon, raw = (part.strip() for part in item.partition(":"))
        if not colon:
            raise ValueError(
                f"unknown fault preset {item!r}; expected a preset or KIND:RATE ({_known_names()})"
            )
        if key in SPEC_ALIASES or key in _RATE_FIELDS:
            kind = SPEC_ALIASES.get(key) or FaultKind(key)
            changes[kind.value] = _number(key, raw)
        elif key == _SLOW_SECONDS_KEY:
            changes[_SLOW_SECONDS_KEY] = _number(key, raw)
        elif key == _SEED_KEY:
            try:
                changes[_SEED_KEY] = int(raw)
            except ValueError:
                raise ValueError(f"fault spec item 'seed' needs an integer, got {raw!r}") from None
        elif key == _AFTER_STORE_KEY:
            changes["command_timeout_after_store"] = _flag(key, raw)
        else:
            raise ValueError(f"unknown fault spec item {key!r} ({_known_names()})")
    return plan.with_changes(**changes)
