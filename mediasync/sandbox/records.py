"""Media objects: the stored record, its persisted form, and its API (wire) rendering."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Kind = Literal["file", "folder"]
Status = Literal["active", "trashed", "deleted"]

ALT_TYPE = "location"
HOSTED_BUCKET = "hosted"
"""First path segment of hosted URLs, so that `url == base + "/" + bucketName + "/" + path`."""


def iso_utc(timestamp: float) -> str:
    """`2026-12-03T18:55:30.123Z`: the JavaScript `Date.toISOString()` format GHL emits."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class MediaRecord:
    id: str
    kind: Kind
    name: str
    parent_id: str | None
    created_at: float
    updated_at: float
    status: Status = "active"
    content_type: str = ""
    size: int = 0
    extension: str = ""

    @property
    def active(self) -> bool:
        return self.status == "active"

    def storage_path(self, location_id: str) -> str:
        """Object key below the bucket; id-based like GHL's, never the display name."""
        return f"{location_id}/media/{self.id}.{self.extension}"

    def hosted_path(self, location_id: str) -> str:
        return f"/{HOSTED_BUCKET}/{self.storage_path(location_id)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "parentId": self.parent_id,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "status": self.status,
            "contentType": self.content_type,
            "size": self.size,
            "extension": self.extension,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MediaRecord:
        return cls(
            id=str(data["id"]),
            kind=data["kind"],
            name=str(data["name"]),
            parent_id=data["parentId"],
            created_at=float(data["createdAt"]),
            updated_at=float(data["updatedAt"]),
            status=data["status"],
            content_type=str(data["contentType"]),
            size=int(data["size"]),
            extension=str(data["extension"]),
        )


@dataclass(frozen=True)
class StoredFile:
    """A snapshot of one live file for tests and scripts, bytes included."""

    id: str
    name: str
    parent_id: str | None
    path: str
    """Folder names and the file name joined with "/", e.g. "photos/2026/a.jpg"."""
    content_type: str
    size: int
    created_at: float
    updated_at: float
    url_path: str
    """The hosted URL without scheme and host."""
    content: bytes


def render_item(record: MediaRecord, location_id: str, base_url: str) -> dict[str, Any]:
    """The object as `GET /medias/files` (and, for folders, `POST /medias/folder`) return it.

    Size and content type stay off the wire on purpose: GHL documents neither, and a
    client that came to depend on them here would break against the real service.
    """
    common: dict[str, Any] = {
        "_id": record.id,
        "altId": location_id,
        "altType": ALT_TYPE,
        "name": record.name,
        "parentId": record.parent_id,
        "type": record.kind,
        "deleted": not record.active,
        "appFolder": False,
        "createdAt": iso_utc(record.created_at),
        "updatedAt": iso_utc(record.updated_at),
    }
    if record.kind == "folder":
        return common | {
            "pendingUpload": False,
            "category": None,
            "subCategory": None,
            "isPrivate": False,
            "relocatedFolder": False,
            "migrationCompleted": True,
            "isEssential": False,
            "status": record.status,
            "lastUpdatedBy": None,
        }
    return common | {
        "url": base_url + record.hosted_path(location_id),
        "path": record.storage_path(location_id),
        "bucketName": HOSTED_BUCKET,
        "hosted": False,
        "encodedFormats": [],
    }
