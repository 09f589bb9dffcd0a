"""Uploaded files: kept in memory, addressed by file_id and by download path.

Photos are measured from their PNG/JPEG/GIF/WebP header, because a bot that renders
charts must upload real images: Telegram refuses bytes it cannot decode as a picture.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request

PHOTO_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024
_THUMB_BOUNDS = (90, 320, 800, 1280)


@dataclass(frozen=True)
class Upload:
    """One multipart part carrying a file."""

    data: bytes
    filename: str | None
    content_type: str | None

    def summary(self) -> dict[str, Any]:
        return {"upload": self.filename, "size": len(self.data), "content_type": self.content_type}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def to_api_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def to_photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.file_size,
        }

    def to_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        data["file_size"] = self.file_size
        return data


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) read from the header, or None for anything not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    pos = 2
    while pos + 9 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return "jpeg", width, height
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[str, int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30:
        width, height = struct.unpack("<HH", data[26:30])
        return "webp", width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return "webp", width, height
    return None


class FileStore(Mapping[str, StoredFile]):
    """Every stored file (photo sizes included) by file_id; read-only for tests."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._photos: dict[str, list[StoredFile]] = {}
        self._counter = 0

    def __getitem__(self, file_id: str) -> StoredFile:
        return self._by_id[file_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def _store(
        self, kind: str, data: bytes, extension: str, salt: str = "", **attrs: Any
    ) -> StoredFile:
        self._counter += 1
        prefix = {"photo": "AgACAgQAAxkBAA", "document": "BQACAgQAAxkBAA"}[kind]
        digest = hashlib.sha256(kind.encode() + salt.encode() + data).hexdigest()
        stored = StoredFile(
            file_id=prefix + secrets.token_urlsafe(36),
            file_unique_id="AQAD" + digest[:12],
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{self._counter}{extension}",
            **attrs,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    @staticmethod
    def check_photo(upload: Upload) -> tuple[str, int, int]:
        """Validate an uploaded photo without storing it: (format, width, height)."""
        _check_upload(upload)
        if len(upload.data) > PHOTO_MAX_BYTES:
            raise bad_request("file is too big")
        measured = image_size(upload.data)
        if measured is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        _, width, height = measured
        too_thin = max(width, height) > 20 * min(width, height)
        if width == 0 or height == 0 or width + height > 10000 or too_thin:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return measured

    @staticmethod
    def check_document(upload: Upload) -> None:
        _check_upload(upload)

    def add_photo(self, upload: Upload) -> list[StoredFile]:
        """The PhotoSize ladder Telegram makes (90, 320, 800, 1280 px and the original).

        Thumbnails are not re-encoded: downloading one returns the original bytes; only
        their reported width and height are scaled.
        """
        fmt, width, height = self.check_photo(upload)
        extension = ".jpg" if fmt == "jpeg" else f".{fmt}"
        sizes = []
        longest = max(width, height)
        for bound in _THUMB_BOUNDS:
            if bound < longest:
                scale = bound / longest
                sizes.append(
                    self._store(
                        "photo",
                        upload.data,
                        extension,
                        salt=str(bound),
                        width=max(1, round(width * scale)),
                        height=max(1, round(height * scale)),
                    )
                )
        sizes.append(self._store("photo", upload.data, extension, width=width, height=height))
        self._photos[sizes[-1].file_id] = sizes
        for size in sizes:
            self._photos[size.file_id] = sizes
        return sizes

    def add_document(self, upload: Upload) -> StoredFile:
        _check_upload(upload)
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            guessed = mimetypes.guess_type(upload.filename or "")[0]
            mime = guessed or mime or "application/octet-stream"
        name = upload.filename or "document"
        extension = "." + name.rsplit(".", 1)[1] if "." in name else ""
        return self._store("document", upload.data, extension, file_name=name, mime_type=mime)

    def photo_sizes(self, file_id: str) -> list[StoredFile] | None:
        return self._photos.get(file_id)

    def resolve(self, reference: str, kind: str) -> StoredFile:
        """A file re-sent by file_id, checked against the kind it is sent as."""
        if reference.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        stored = self._by_id.get(reference)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}"
            )
        return stored


def _check_upload(upload: Upload) -> None:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if len(upload.data) > UPLOAD_MAX_BYTES:
        raise ApiError(413, "Request Entity Too Large")
