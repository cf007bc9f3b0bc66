"""The daemon's log: one line per event, human-readable or one JSON object per line.

Every line has an event name and a message; JSON lines carry the event's fields too (path,
url, counts), so a log shipper can filter on them. Nothing secret is ever a field.
"""

from __future__ import annotations

import json
import logging
import time
from typing import IO, Any

from mediasync.models import ActionKind, Outcome, OutcomeKind
from mediasync.scan import printable

LOGGER_NAME = "mediasync"
FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": _iso(record.created),
            "level": record.levelname.lower(),
            "event": getattr(record, "event", "message"),
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = "" if record.levelno == logging.INFO else f"{record.levelname.lower()}: "
        return f"{_iso(record.created)} {level}{record.getMessage()}"


class EventLog:
    """A thin face over a logger: `log.info("uploaded", "uploaded a.jpg → url", path=...)`."""

    def __init__(self, logger: logging.Logger, target: str = "") -> None:
        self.logger = logger
        self.target = target

    def for_target(self, name: str) -> EventLog:
        """The same log, each line naming target `name` (none for the unnamed single one)."""
        return EventLog(self.logger, name)

    def info(self, event: str, message: str, **fields: Any) -> None:
        self._emit(logging.INFO, event, message, fields)

    def warning(self, event: str, message: str, **fields: Any) -> None:
        self._emit(logging.WARNING, event, message, fields)

    def error(self, event: str, message: str, **fields: Any) -> None:
        self._emit(logging.ERROR, event, message, fields)

    def outcome(self, outcome: Outcome) -> None:
        path = printable(outcome.path)
        fields: dict[str, Any] = {"path": path, "action": outcome.action.kind.value}
        if outcome.kind is OutcomeKind.RENAMED and outcome.entry is not None:
            previous = outcome.action.previous
            old = printable(previous.path) if previous else "?"
            self.info(
                "renamed",
                f"renamed {old} → {path}; its URL stays {outcome.entry.url}",
                url=outcome.entry.url,
                id=outcome.entry.remote_id,
                previous_path=old,
                **fields,
            )
        elif outcome.kind is OutcomeKind.UPLOADED and outcome.entry is not None:
            verb = {
                ActionKind.REPLACE: "replaced",
                ActionKind.RESTORE: "restored",
                ActionKind.RENAME: "renamed",
                ActionKind.MOVE: "moved",
            }.get(outcome.action.kind, "uploaded")
            # The note says why a renamed or moved file got a new URL, as `sync -v` does.
            note = f" ({printable(outcome.reason)})" if outcome.reason else ""
            self.info(
                "uploaded",
                f"{verb} {path} → {outcome.entry.url}{note}",
                url=outcome.entry.url,
                id=outcome.entry.remote_id,
                **fields,
            )
        elif outcome.kind is OutcomeKind.DELETED:
            what = "old copy of " if outcome.action.kind is ActionKind.DELETE_STALE else ""
            self.info("deleted", f"deleted {what}{path}", **fields)
        elif outcome.kind is OutcomeKind.UNCHANGED:
            self.info("unchanged", f"unchanged {path} (only its timestamp moved)", **fields)
        elif outcome.kind is OutcomeKind.REJECTED:
            reason = printable(outcome.reason)
            self.warning("rejected", f"rejected {path}: {reason}", reason=reason, **fields)
        else:
            reason = printable(outcome.reason)
            self.error("failed", f"failed {path}: {reason}", reason=reason, **fields)

    def _emit(self, level: int, event: str, message: str, fields: dict[str, Any]) -> None:
        if self.target:
            message = f"{self.target}: {message}"
            fields = {"target": self.target, **fields}
        self.logger.log(level, "%s", message, extra={"event": event, "fields": fields})


def configure(fmt: str, stream: IO[str], name: str = LOGGER_NAME) -> EventLog:
    """A logger writing to `stream` in `fmt` ("text" or "json"), replacing earlier handlers."""
    logger = logging.getLogger(name)
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    logger.addHandler(handler)
    return EventLog(logger)


def _iso(created: float) -> str:
    millis = int(created * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{millis:03d}Z"
