"""Evidence files (a task report's proof, a work record's photos): which are accepted — judged by their content
(magic bytes), never by name or declared type — and the name they keep. One place for every domain that takes
uploads into the file store (``backend.storage``)."""

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Protocol, TypedDict

from fastapi import Depends, Request, UploadFile
from fastapi.responses import StreamingResponse

from backend.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from backend.exports import content_disposition
from backend.messages import Text
from backend.settings import Settings
from backend.storage import FileStorage, StoredFileMissing, storage_for

# Leading bytes → media type.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    # OLE2 compound documents: Word 97-2003, Excel 97-2003, PowerPoint 97-2003.
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)

# An Office Open XML package names its main part in [Content_Types].xml; the folder tells which kind.
_OOXML_PARTS = (
    ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
)

ACCEPTED_DESCRIPTION = "images (PNG, JPEG, GIF, WebP), PDF, Word, Excel or PowerPoint documents"


def detect_media_type(content: bytes) -> str | None:
    """The media type the content really is, if it is one we accept; otherwise None."""
    for signature, media_type in _SIGNATURES:
        if content.startswith(signature):
            return media_type
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"PK\x03\x04"):
        return _ooxml_type(content)
    return None


def _ooxml_type(content: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None  # a plain ZIP archive, not an Office document
    for prefix, media_type in _OOXML_PARTS:
        if any(name.startswith(prefix) for name in names):
            return media_type
    return None


def clean_filename(filename: str | None, media_type: str) -> str:
    """The uploader's file name as shown and sent back in Content-Disposition; never used as a path."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or f"evidence.{media_type.rsplit('/', 1)[-1]}"


@dataclass(frozen=True)
class AcceptedFile:
    filename: str
    media_type: str
    size: int
    sha256: str


def accept_file(content: bytes, *, filename: str | None, max_bytes: int) -> AcceptedFile:
    """Check an upload (size, not empty, a type we accept by its content) before it is stored: 413, 422 or 415."""
    if len(content) > max_bytes:
        raise PayloadTooLarge(Text("An evidence file is at most {max_bytes} bytes.", max_bytes=max_bytes))
    if not content:
        raise ValidationFailed.field(["body", "file"], "the file is empty", "evidence.empty")
    media_type = detect_media_type(content)
    if media_type is None:
        raise UnsupportedMediaType(
            Text("The file's content is not one of: {accepted}.", accepted=ACCEPTED_DESCRIPTION)
        )
    return AcceptedFile(
        filename=clean_filename(filename, media_type),
        media_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


class StoredUpload(TypedDict):
    """What every evidence table keeps of an accepted upload: where it is stored and what it is."""

    storage_key: str
    filename: str
    media_type: str
    size: int
    sha256: str


async def store_upload(
    storage: FileStorage, content: bytes, *, filename: str | None, max_bytes: int
) -> StoredUpload:
    """Check an upload (``accept_file``: 413, 422 or 415) and put it in the file store."""
    accepted = accept_file(content, filename=filename, max_bytes=max_bytes)
    key = await storage.put(content)
    return StoredUpload(
        storage_key=key,
        filename=accepted.filename,
        media_type=accepted.media_type,
        size=accepted.size,
        sha256=accepted.sha256,
    )


async def read_upload(request: Request, file: UploadFile) -> tuple[bytes, int]:
    """An upload's bytes, read at most one past the configured limit (so a larger file is refused without being
    read whole), and that limit."""
    settings: Settings = request.app.state.settings
    return await file.read(settings.max_upload_bytes + 1), settings.max_upload_bytes


class Upload(TypedDict):
    """An upload as the services that store one take it: its name as sent, its bytes (``read_upload``) and the
    limit they are held to."""

    filename: str | None
    content: bytes
    max_bytes: int


async def upload(request: Request, file: UploadFile) -> Upload:
    """``read_upload`` with the file's name, for a service's ``add_…(…, **await upload(request, file))``."""
    content, max_bytes = await read_upload(request, file)
    return Upload(filename=file.filename, content=content, max_bytes=max_bytes)


async def file_storage(request: Request) -> FileStorage:  # async: no worker thread (see get_cipher)
    settings: Settings = request.app.state.settings
    return storage_for(settings)


Storage = Annotated[FileStorage, Depends(file_storage)]

# The answer of a download route, for OpenAPI.
DOWNLOAD_RESPONSES: dict[int | str, dict[str, object]] = {200: {"content": {"application/octet-stream": {}}}}


class StoredFile(Protocol):
    """A row of an evidence table, as a download needs it."""

    storage_key: str
    media_type: str
    filename: str
    size: int


async def download(storage: FileStorage, stored: StoredFile, *, inline: bool) -> StreamingResponse:
    """A stored evidence file streamed back (``stored_file_response``)."""
    return await stored_file_response(
        storage,
        key=stored.storage_key,
        media_type=stored.media_type,
        filename=stored.filename,
        size=stored.size,
        inline=inline,
    )


async def stored_file_response(
    storage: FileStorage, *, key: str, media_type: str, filename: str, size: int, inline: bool
) -> StreamingResponse:
    """Stream a stored file back under its uploader's name; 404 when the store has lost it."""
    chunks = storage.open(key)
    try:
        first = await anext(chunks)
    except (StoredFileMissing, StopAsyncIteration) as exc:
        raise NotFound("The evidence file is missing from the store.") from exc

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return StreamingResponse(
        body(),
        media_type=media_type,
        headers={
            "content-disposition": content_disposition(filename, inline=inline),
            "content-length": str(size),
        },
    )
