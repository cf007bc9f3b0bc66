"""The path → hosted URL manifest that people paste into emails, blogs and funnels.

`status` says how each copy stands: "synced"; "restored" (it was deleted in the web app and
mediasync sent it again, so its URL changed); "missing" (deleted there and only reported).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from mediasync.models import SyncState

FIELDS = ("path", "url", "id", "size", "uploaded_at", "status")


def manifest_rows(state: SyncState) -> list[dict[str, str | int]]:
    return [
        {
            "path": e.path,
            "url": e.url,
            "id": e.remote_id,
            "size": e.size,
            "uploaded_at": datetime.fromtimestamp(e.uploaded_at, UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
            "status": e.status,
        }
        for e in sorted(state.entries.values(), key=lambda e: e.path)
    ]


def render_manifest(state: SyncState, fmt: str) -> str:
    rows = manifest_rows(state)
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
