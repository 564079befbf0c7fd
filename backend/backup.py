"""Backups that restore: the database, the evidence files and the keys, in one tar archive.

- the database: SQLite's online backup API (a consistent copy while the app runs), or ``pg_dump``'s custom
  format for PostgreSQL (one consistent snapshot), restored with ``pg_restore``;
- the evidence files, read through the storage interface (local disk or S3) and written back the same way;
- the keys (signing, field encryption, look-up, and earlier ones still in use), encrypted with a passphrase:
  scrypt derives an AES-256-GCM key, so the archive alone decrypts no ID number;
- a manifest: what is inside, the migration it was taken at, and a SHA-256 of every member, checked on restore.

A restore goes only into an empty database and checks the passphrase before it touches anything. The archive
holds the registry's plain fields (names, facts): keep it as carefully as the database itself.
"""

import asyncio
import base64
import hashlib
import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy.engine import URL, make_url

from backend.settings import Settings

FORMAT = "qinghu-backup/1"
MANIFEST = "manifest.json"
KEYS = "keys.enc"
FILES = "files/"
SQLITE_MEMBER = "database.sqlite"
POSTGRESQL_MEMBER = "database.pgdump"
MIN_PASSPHRASE = 12
# scrypt at 2^17 × 8 (128 MiB, about half a second): slow for someone guessing passphrases, once per backup.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
_KEYS_AAD = b"qinghu-backup-keys/1"


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message is one line for the operator."""


# --- keys -----------------------------------------------------------------------------------------------------


def key_material(settings: Settings) -> dict[str, Any]:
    """Every key the data needs, as the environment variables that carry them."""

    def secret(value: Any) -> str | None:
        return value.get_secret_value() if value is not None else None

    return {
        "QINGHU_SIGNING_KEY_ID": settings.signing_key_id,
        "QINGHU_SIGNING_KEY": secret(settings.signing_key),
        "QINGHU_PREVIOUS_SIGNING_KEYS": {k: secret(v) for k, v in settings.previous_signing_keys.items()},
        "QINGHU_ENCRYPTION_KEY_ID": settings.encryption_key_id,
        "QINGHU_ENCRYPTION_KEY": secret(settings.encryption_key),
        "QINGHU_PREVIOUS_ENCRYPTION_KEYS": {
            k: secret(v) for k, v in settings.previous_encryption_keys.items()
        },
        "QINGHU_LOOKUP_KEY": secret(settings.lookup_key),
    }


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def seal_keys(keys: dict[str, Any], passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, json.dumps(keys).encode(), _KEYS_AAD
    )
    envelope = {
        "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt)},
        "cipher": "AES-256-GCM",
        "nonce": _b64(nonce),
        "ciphertext": _b64(sealed),
    }
    return json.dumps(envelope, indent=2).encode()


def open_keys(sealed: bytes, passphrase: str) -> dict[str, Any]:
    envelope = json.loads(sealed)
    kdf = envelope["kdf"]
    key = _derive(passphrase, base64.b64decode(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
    try:
        plain = AESGCM(key).decrypt(
            base64.b64decode(envelope["nonce"]), base64.b64decode(envelope["ciphertext"]), _KEYS_AAD
        )
    except InvalidTag:
        raise BackupError(
            "wrong passphrase (or the archive's keys were altered); nothing was restored"
        ) from None
    return json.loads(plain)


def keys_env_file(keys: dict[str, Any]) -> str:
    """The keys as an environment file (systemd's EnvironmentFile, docker's --env-file)."""
    lines = ["# Qinghu's keys, restored from a backup. Keep this file private (mode 0600)."]
    for name, value in keys.items():
        if value is None or value == {}:
            continue
        lines.append(f"{name}={json.dumps(value) if isinstance(value, dict) else value}")
    return "\n".join(lines) + "\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- databases ------------------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore (libpq's form, without the password) and the environment with it."""
    query = dict(url.query)
    if "ssl" in query:
        query["sslmode"] = query.pop("ssl")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None, query=query)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        last = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last}")


def dump_database(url: URL, target: Path) -> str:
    """Write a consistent copy of the database to ``target``; returns its archive member name."""
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{_sqlite_path(url)}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        return SQLITE_MEMBER
    dsn, env = _libpq(url)
    _run(
        [
            "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
            f"--dbname={dsn}",
        ],
        env,
    )
    return POSTGRESQL_MEMBER


def restore_database(url: URL, member: str, source: Path) -> None:
    if url.get_backend_name() == "sqlite":
        if member != SQLITE_MEMBER:
            raise BackupError("this archive holds a PostgreSQL database; restore it into PostgreSQL")
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy, restored = sqlite3.connect(source), sqlite3.connect(target)
        try:
            with restored:
                copy.backup(restored)
        finally:
            restored.close()
            copy.close()
        return
    if member != POSTGRESQL_MEMBER:
        raise BackupError("this archive holds an SQLite database; restore it into SQLite")
    dsn, env = _libpq(url)
    _run(
        [
            *("pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"),
            *(f"--dbname={dsn}", str(source)),
        ],
        env,
    )


async def database_is_empty(connection: Any) -> bool:
    names = await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    return not names


async def current_revision(connection: Any) -> str | None:
    return await connection.scalar(sa.text("SELECT version_num FROM alembic_version"))


# --- the archive ----------------------------------------------------------------------------------------------


@dataclass
class Manifest:
    created_at: str
    database: str
    revision: str | None
    files: int
    members: dict[str, str]  # name → sha256
    format: str = FORMAT

    def to_bytes(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()


def _add(archive: tarfile.TarFile, name: str, content: bytes, digests: dict[str, str]) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(content))
    digests[name] = hashlib.sha256(content).hexdigest()


async def write_archive(
    target: Path,
    *,
    database_url: str,
    revision: str | None,
    sealed_keys: bytes,
    files: AsyncIterator[tuple[str, bytes]],
) -> Manifest:
    """The archive at ``target`` (written beside it, then renamed: a cut-short backup never looks whole).
    The database is copied first, then the files, so every file a copied record names is in the archive."""
    url = make_url(database_url)
    digests: dict[str, str] = {}
    count = 0
    partial = target.with_name(target.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with (
        os.fdopen(fd, "wb") as raw,
        tarfile.open(fileobj=raw, mode="w") as archive,
        tempfile.TemporaryDirectory() as scratch,
    ):
        dump = Path(scratch) / "database"
        member = await asyncio.to_thread(dump_database, url, dump)
        _add(archive, member, dump.read_bytes(), digests)
        _add(archive, KEYS, sealed_keys, digests)
        async for key, content in files:
            _add(archive, FILES + key, content, digests)
            count += 1
        manifest = Manifest(
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            database=url.get_backend_name(),
            revision=revision,
            files=count,
            members=digests,
        )
        _add(archive, MANIFEST, manifest.to_bytes(), {})
    partial.replace(target)
    return manifest


class ArchiveReader:
    """Members of a backup archive, each checked against the manifest's digest as it is read."""

    def __init__(self, path: Path) -> None:
        try:
            self.archive = tarfile.open(path, mode="r")  # noqa: SIM115 - closed by close()
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"{path} is not a Qinghu backup: {exc}") from None
        manifest = self._raw(MANIFEST)
        data = json.loads(manifest)
        if data.get("format") != FORMAT:
            raise BackupError(f"{path} is not a Qinghu backup of format {FORMAT}")
        self.manifest = Manifest(**data)

    def _raw(self, name: str) -> bytes:
        try:
            member = self.archive.extractfile(name)
        except KeyError:
            raise BackupError(f"the archive has no {name}") from None
        assert member is not None
        return member.read()

    def read(self, name: str) -> bytes:
        content = self._raw(name)
        if hashlib.sha256(content).hexdigest() != self.manifest.members.get(name):
            raise BackupError(f"{name} does not match the manifest: the archive is damaged")
        return content

    def database_member(self) -> str:
        return SQLITE_MEMBER if self.manifest.database == "sqlite" else POSTGRESQL_MEMBER

    def file_keys(self) -> list[str]:
        return sorted(name.removeprefix(FILES) for name in self.manifest.members if name.startswith(FILES))

    def close(self) -> None:
        self.archive.close()


def write_private(path: Path, content: str, *, on_exists: Callable[[Path], None]) -> None:
    if path.exists():
        on_exists(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
