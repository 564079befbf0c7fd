"""Evidence files outside the database, behind one small interface: on local disk or in an S3-compatible store
(``QINGHU_STORAGE_BACKEND``), the same five operations.

Keys are random (never the uploader's file name), so uploads never overwrite each other and no user input ever
reaches a path or an object name. A file is written before the row that names it is committed: a write that
fails (a full disk, an unreachable store) refuses the upload with nothing registered, and a file whose row was
never committed (the request failed after the write) is an orphan that ``qinghu sweep-files`` removes.
"""

import asyncio
import contextlib
import errno
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from backend.errors import ProblemError
from backend.messages import Text
from backend.settings import Settings, StorageBackend

CHUNK_SIZE = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{32}$")


class StoredFileMissing(Exception):
    """The key names nothing in the store."""


class StorageFull(ProblemError):
    """The store has no room for the file (a full disk or quota): nothing was registered."""

    status, slug, title = 507, "insufficient-storage", "The file store is full"


class StorageUnavailable(ProblemError):
    """The store could not be written or read just now (I/O error, store unreachable)."""

    status, slug, title = 503, "storage-unavailable", "The file store is unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": "30"})


@dataclass(frozen=True)
class StoredKey:
    key: str
    modified_at: datetime


class FileStorage(Protocol):
    async def put(self, content: bytes) -> str:
        """Store the content under a new key and return the key."""
        ...

    async def write(self, key: str, content: bytes) -> None:
        """Store the content under this key (a restore puts files back where they were)."""
        ...

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The content in chunks."""
        ...

    async def delete(self, key: str) -> None: ...

    def listing(self) -> AsyncIterator[StoredKey]:
        """Every stored key with when it was written (a sweep spares what is younger than an upload takes)."""
        ...

    async def delete_stored(self, stored: StoredKey) -> None:
        """Remove an entry ``listing`` gave."""
        ...


def new_key() -> str:
    return secrets.token_hex(16)


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise StoredFileMissing(key)
    return key


class LocalDiskStorage:
    """Files under one directory, as ``ab/cd/<32 hex>``; writes go to a temporary name and are renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key[2:4] / key

    def _write(self, key: str, content: bytes) -> None:
        path = self._path(key)
        partial = path.with_suffix(".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(content)
            partial.replace(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(
                    "There is no room left for the file; nothing was stored. Tell the administrator."
                ) from exc
            raise StorageUnavailable(
                "The file could not be stored; nothing was stored. Try again later."
            ) from exc

    async def put(self, content: bytes) -> str:
        key = new_key()
        await asyncio.to_thread(self._write, key, content)
        return key

    async def write(self, key: str, content: bytes) -> None:
        await asyncio.to_thread(self._write, key, content)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        path = self._path(key)
        try:
            handle = await asyncio.to_thread(path.open, "rb")
        except FileNotFoundError as exc:
            raise StoredFileMissing(key) from exc
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def _walk(self) -> Iterator[StoredKey]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            # Names that are not keys (a write cut short leaves `<key>.part`) are swept like orphans.
            name = path.name.removesuffix(".part")
            if _KEY.fullmatch(name) and path.is_file():
                yield StoredKey(path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC))

    async def listing(self) -> AsyncIterator[StoredKey]:
        for stored in await asyncio.to_thread(list, self._walk()):
            yield stored

    async def delete_stored(self, stored: StoredKey) -> None:
        """Remove a listed entry, a leftover partial write included."""
        path = self.root / stored.key[:2] / stored.key[2:4] / stored.key
        await asyncio.to_thread(path.unlink, True)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str | None
    access_key_id: str | None
    secret_access_key: str | None


class S3Storage:
    """Objects in one bucket of an S3-compatible store (AWS S3, MinIO, Ceph, a cloud's OSS with its S3 API),
    under an optional prefix. boto3's client is synchronous and thread-safe: its calls run in worker threads."""

    def __init__(self, location: S3Location, client: Any) -> None:
        self.location = location
        self.client = client

    def _name(self, key: str) -> str:
        return self.location.prefix + _checked(key)

    async def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(
                getattr(self.client, operation), Bucket=self.location.bucket, **kwargs
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise StoredFileMissing(kwargs.get("Key", "")) from exc
            if code in ("QuotaExceeded", "EntityTooLarge", "XMinioStorageFull", "InsufficientStorage"):
                raise StorageFull("The file store has no room for the file; nothing was stored.") from exc
            raise StorageUnavailable(
                Text("The file store refused the request ({code}); try again later.", code=code)
            ) from exc
        except BotoCoreError as exc:
            raise StorageUnavailable("The file store cannot be reached; try again later.") from exc

    async def put(self, content: bytes) -> str:
        key = new_key()
        await self.write(key, content)
        return key

    async def write(self, key: str, content: bytes) -> None:
        await self._call("put_object", Key=self._name(key), Body=content)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        answer = await self._call("get_object", Key=self._name(key))
        body = answer["Body"]
        try:
            while chunk := await asyncio.to_thread(body.read, CHUNK_SIZE):
                yield chunk
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await self._call("delete_object", Key=self._name(key))

    async def listing(self) -> AsyncIterator[StoredKey]:
        token: str | None = None
        while True:
            page = await self._call(
                "list_objects_v2",
                Prefix=self.location.prefix,
                **({"ContinuationToken": token} if token else {}),
            )
            for item in page.get("Contents", []):
                name = item["Key"].removeprefix(self.location.prefix)
                if _KEY.fullmatch(name):
                    yield StoredKey(name, item["LastModified"])
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    async def delete_stored(self, stored: StoredKey) -> None:
        await self.delete(stored.key)


@lru_cache(maxsize=4)
def _s3_storage(location: S3Location) -> S3Storage:
    # One client per location for the process: making one reads configuration and builds endpoints (tens of ms).
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=location.endpoint_url,
        region_name=location.region,
        aws_access_key_id=location.access_key_id,
        aws_secret_access_key=location.secret_access_key,
        config=BotoConfig(
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30
        ),
    )
    return S3Storage(location, client)


def storage_for(settings: Settings) -> FileStorage:
    if settings.storage_backend is StorageBackend.s3:
        assert settings.s3_bucket  # required by the settings' validation
        return _s3_storage(
            S3Location(
                bucket=settings.s3_bucket,
                prefix=settings.s3_prefix,
                endpoint_url=settings.s3_endpoint_url,
                region=settings.s3_region,
                access_key_id=settings.s3_access_key_id,
                secret_access_key=(
                    settings.s3_secret_access_key.get_secret_value()
                    if settings.s3_secret_access_key
                    else None
                ),
            )
        )
    return LocalDiskStorage(settings.storage_dir)
