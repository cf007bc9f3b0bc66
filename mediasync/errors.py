"""The one exception tree of mediasync and how each class is handled.

    MediasyncError
    ├── UsageError            bad config or arguments               exit 2, run stops
    ├── FatalError            the run cannot go on                  exit 3, run stops
    │   ├── AuthError         bad token, missing scope, wrong location
    │   ├── StateError        state file unreadable, corrupt or too new
    │   └── RootError         local root missing or empty while the state is not
    ├── GuardError            a guard refused (a first sync onto existing copies)  exit 4
    ├── LockHeldError         another run holds the lock            exit 5
    ├── BudgetExhaustedError  the location's daily API budget is spent  exit 6, run stops
    ├── RemoteError           the remote answered or failed; `status` when it answered
    │   ├── RetryableError    429, 5xx, gateway "Command timed out", connection drop, timeout
    │   │   └── RateLimitedError   429; carries the wait the server asked for, if any
    │   ├── NotFoundError     404: the remote object is gone
    │   └── RejectedError     any other 4xx: this request will never succeed as sent
    └── LocalFileError        the local file vanished, is unreadable or kept changing

Lower-level exceptions (aiohttp, OSError, sqlite3) are translated into this tree at exactly one
boundary each (remote/http.py, remote/token_endpoint.py, scan/worker, state.py) and chained
with `from`.
"""

from __future__ import annotations

from enum import Enum


class ErrorClass(Enum):
    RETRYABLE = "retryable"
    NOT_RETRYABLE = "not-retryable"
    FATAL = "fatal"


class MediasyncError(Exception):
    exit_code = 1


class UsageError(MediasyncError):
    exit_code = 2


class FatalError(MediasyncError):
    exit_code = 3


class AuthError(FatalError):
    pass


class StateError(FatalError):
    pass


class RootError(FatalError):
    pass


class GuardError(MediasyncError):
    """Going on could make a mess the user did not ask for; --force overrides."""

    exit_code = 4


class LockHeldError(MediasyncError):
    exit_code = 5


class BudgetExhaustedError(MediasyncError):
    exit_code = 6


class RemoteError(MediasyncError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableError(RemoteError):
    """`ambiguous`: the request may have reached the server and taken effect (a timeout, a
    connection dropped after the body was sent, a 5xx), so a retried upload could duplicate."""

    def __init__(self, message: str, status: int | None = None, ambiguous: bool = True) -> None:
        super().__init__(message, status)
        self.ambiguous = ambiguous


class RateLimitedError(RetryableError):
    def __init__(self, message: str, status: int | None = 429, wait: float | None = None) -> None:
        super().__init__(message, status, ambiguous=False)
        self.wait = wait


class NotFoundError(RemoteError):
    pass


class RejectedError(RemoteError):
    pass


class LocalFileError(MediasyncError):
    pass


def classify(exc: BaseException) -> ErrorClass:
    """What the caller should do about `exc`: retry it, give up on this item, or stop the run."""
    if isinstance(exc, RetryableError):
        return ErrorClass.RETRYABLE
    if isinstance(
        exc, FatalError | UsageError | GuardError | LockHeldError | BudgetExhaustedError
    ):
        return ErrorClass.FATAL
    return ErrorClass.NOT_RETRYABLE


def is_retryable(exc: BaseException) -> bool:
    return classify(exc) is ErrorClass.RETRYABLE


def is_fatal(exc: BaseException) -> bool:
    return classify(exc) is ErrorClass.FATAL
