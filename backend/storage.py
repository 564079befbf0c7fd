"""Evidence files outside the database, behind one small interface.

Keys are random (never the uploader's file name), so uploads never overwrite each other and no user input ever
reaches a path. ``LocalDiskStorage`` is the implementation in use; an S3-compatible store implements the same
three methods (``put`` → ``PutObject`` with the key, ``open`` → ``GetObject`` streamed, ``delete`` →
``DeleteObject``) and is chosen in ``storage_for``.
"""

import asyncio
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol

from backend.settings import Settings

CHUNK_SIZE = 64 * 1024
_KEY = re.compile(r"^[0-9a-f]{32}$")


class StoredFileMissing(Exception):
    """The key names nothing in the store."""


class FileStorage(Protocol):
    async def put(self, content: bytes) -> str:
        """Store the content under a new key and return the key."""
        ...

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The content in chunks."""
        ...

    async def delete(self, key: str) -> None: ...


class LocalDiskStorage:
    """Files under one directory, as ``ab/cd/<32 hex>``; writes go to a temporary name and are renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise StoredFileMissing(key)
        return self.root / key[:2] / key[2:4] / key

    def _write(self, key: str, content: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)

    async def put(self, content: bytes) -> str:
        key = secrets.token_hex(16)
        await asyncio.to_thread(self._write, key, content)
        return key

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


def storage_for(settings: Settings) -> FileStorage:
    return LocalDiskStorage(settings.storage_dir)
