"""One validated set of settings, read from the environment (prefix ``QINGHU_``).

In development the signing, encryption and lookup keys are generated on first run into ``./var/keys.json``
(never committed); in production each must come from the environment and a missing one stops the start-up.
"""

import base64
import ipaddress
import json
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class MissingSecretError(RuntimeError):
    """A key that production must be given was not set."""


class InvalidSettings(RuntimeError):
    """A setting from the environment cannot be used; the message is one line naming the variable."""


class UnusableDatabaseUrl(ValueError):
    """A database URL naming a database or driver Qinghu does not run on, or not a URL at all."""


# The async driver the app uses for each database; a URL that names none gets this one.
ASYNC_DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
_BACKEND_ALIASES = {"postgres": "postgresql"}  # Heroku-style and libpq URLs


def async_database_url(url: str) -> str:
    """A database URL as operators write it, as the app uses it.

    ``sqlite:///var/qinghu.db``, ``postgresql://user@host/db`` and ``postgres://…`` get their async driver
    (aiosqlite, asyncpg); URLs that already name it (``+aiosqlite``, ``+asyncpg``) are kept. libpq's
    ``sslmode`` becomes asyncpg's ``ssl``. Anything else is ``UnusableDatabaseUrl``, whose message names no
    password.
    """
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise UnusableDatabaseUrl(
            "not a database URL; write sqlite:///path/to/qinghu.db or postgresql://user@host:5432/qinghu"
        ) from None
    backend, _, driver = parsed.drivername.partition("+")
    backend = _BACKEND_ALIASES.get(backend, backend)
    wanted = ASYNC_DRIVERS.get(backend)
    shown = parsed.render_as_string(hide_password=True)
    if wanted is None:
        raise UnusableDatabaseUrl(f"{shown}: Qinghu runs on SQLite or PostgreSQL, not {backend!r}")
    if driver and driver != wanted:
        raise UnusableDatabaseUrl(
            f"{shown}: the {driver!r} driver is not supported; write {backend}:// (Qinghu uses {wanted})"
        )
    parsed = parsed.set(drivername=f"{backend}+{wanted}")
    if "sslmode" in parsed.query:
        query = dict(parsed.query)
        query.setdefault("ssl", query.pop("sslmode"))
        parsed = parsed.set(query=query)
    return parsed.render_as_string(hide_password=False)


def _generated_dev_keys(path: Path) -> dict[str, str]:
    """Keys for a development machine: made once, kept in ./var, reused on every start."""
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {
        "signing_key_id": "dev-" + secrets.token_hex(4),
        "signing_key": secrets.token_urlsafe(48),
        "encryption_key_id": "dev-" + secrets.token_hex(4),
        "encryption_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "lookup_key": secrets.token_urlsafe(48),
    }
    # Written with owner-only permissions: these keys unlock every token and encrypted field.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle, indent=2)
    return keys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QINGHU_", extra="ignore", env_file=None)

    env: Environment = Environment.development
    database_url: str = f"sqlite+aiosqlite:///{VAR_DIR / 'qinghu.db'}"
    database_echo: bool = False
    # PostgreSQL connections each API process keeps (pool) and may open beyond them at busy moments (overflow):
    # processes × (pool + overflow) must stay below the server's max_connections (docs/deploy.md).
    database_pool_size: int = Field(default=10, ge=1, le=100)
    database_max_overflow: int = Field(default=10, ge=0, le=100)
    keys_file: Path = VAR_DIR / "keys.json"

    # Tokens: HS256 is pinned; the key id travels in the JWT header so keys can rotate.
    signing_key_id: str | None = None
    signing_key: SecretStr | None = None
    # Keys that still verify tokens after a rotation, as JSON {"kid": "secret"}.
    previous_signing_keys: dict[str, SecretStr] = Field(default_factory=dict)
    token_issuer: str = "qinghu"  # noqa: S105 - a name, not a secret
    token_audience: str = "qinghu-api"  # noqa: S105
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_token_ttl_seconds: int = Field(default=12 * 3600, ge=300)
    session_max_age_seconds: int = Field(default=7 * 24 * 3600, ge=3600)

    # Field encryption (AES-GCM, 32-byte key, base64) and the keyed hash for exact lookups.
    encryption_key_id: str | None = None
    encryption_key: SecretStr | None = None
    # Keys of earlier rotations, as JSON {"kid": "key"}, kept until `qinghu rotate-keys` has re-encrypted.
    previous_encryption_keys: dict[str, SecretStr] = Field(default_factory=dict)
    lookup_key: SecretStr | None = None

    # Breaking the glass: full identities revealed per person per day.
    reveal_daily_limit: int = Field(default=20, ge=1)
    # Registrations a person may make per day that turn out to match a minor managed by another unit: each
    # tells that the person is registered, so they are counted like reveals.
    match_elsewhere_daily_limit: int = Field(default=10, ge=1)

    # Seizure notices: hours a receiving station has to acknowledge one; 0 means by midnight (Beijing time)
    # of the day it arrived — 当天签收.
    seizure_ack_within_hours: int = Field(default=0, ge=0, le=168)
    # Statistics: counts of minors from 1 up to this are suppressed (docs/statistics.md).
    stats_suppression_threshold: int = Field(default=4, ge=1, le=100)

    # Logins (docs/security.md). Failures are counted per account (known or not) and per client address; past its
    # free failures an account, or an address, waits before each further attempt, the wait doubling from the base
    # up to the cap. Addresses the account logged in from lately are spared the account's wait.
    login_max_failures: int = Field(default=5, ge=1)
    login_address_max_failures: int = Field(default=20, ge=1)
    login_backoff_base_seconds: int = Field(default=1, ge=1)
    login_backoff_max_seconds: int = Field(default=15 * 60, ge=1)
    # A counter forgets its failures after this long without one.
    login_failure_window_seconds: int = Field(default=3600, ge=60)
    # How long a successful login keeps its address known to the account (0: no address is ever spared).
    login_known_address_days: int = Field(default=30, ge=0)
    # Direct peers allowed to name the client's address in X-Forwarded-For (and the scheme in
    # X-Forwarded-Proto): addresses or networks, comma-separated or a JSON list. Anyone else's header is ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    password_min_length: int = Field(default=10, ge=8)
    password_min_strength: int = Field(default=3, ge=0, le=4)
    # argon2id cost; tests lower it, production keeps the library's recommended defaults.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4

    # The web app's refresh token travels in an HttpOnly cookie, marked Secure when the request came over https;
    # true marks it Secure always (a TLS proxy whose X-Forwarded-Proto is not passed on).
    refresh_cookie_secure: bool = False

    # HTTP
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Request bodies: JSON and forms everywhere; evidence uploads get their own, larger limit on their routes.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Evidence files live outside the database (backend/storage.py): under this directory, or in an S3-compatible
    # bucket (credentials from these settings or boto3's own: AWS_* variables, an instance role).
    storage_backend: StorageBackend = StorageBackend.local
    storage_dir: Path = VAR_DIR / "files"
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    log_level: str = "INFO"
    frontend_dist: Path = REPO_ROOT / "frontend" / "dist"
    migrations_dir: Path = REPO_ROOT / "migrations"

    # The daily digest by e-mail (`qinghu remind`): off unless QINGHU_SMTP_HOST is set (docs/notifications.md).
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "qinghu@localhost"
    # STARTTLS on a plain connection (port 587), or TLS from the start (port 465).
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=300)
    # The web app's address, for whole links in mail (https://qinghu.example.gov.cn); none: paths only.
    public_base_url: str | None = None

    # Demo county
    demo_password: SecretStr | None = None
    demo_client_secret: SecretStr | None = None

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, url: str) -> str:
        return async_database_url(url)

    @model_validator(mode="after")
    def _s3_named(self) -> "Settings":
        if self.storage_backend is StorageBackend.s3 and not self.s3_bucket:
            raise ValueError("storage_backend s3 needs QINGHU_S3_BUCKET")
        return self

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: Any) -> Any:
        for name in ("cors_origins", "trusted_proxies"):
            if isinstance(data, dict) and isinstance(data.get(name), str):
                raw = data[name].strip()
                data[name] = (
                    json.loads(raw)
                    if raw.startswith("[")
                    else [o.strip() for o in raw.split(",") if o.strip()]
                )
        return data

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # a ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _keys_present(self) -> "Settings":
        required = ("signing_key_id", "signing_key", "encryption_key_id", "encryption_key", "lookup_key")
        missing = [name for name in required if getattr(self, name) is None]
        if not missing:
            return self
        if self.env is Environment.production:
            names = ", ".join("QINGHU_" + name.upper() for name in missing)
            raise MissingSecretError(f"production needs these settings from the environment: {names}")
        generated = _generated_dev_keys(self.keys_file)
        for name in missing:
            value = generated[name]
            setattr(self, name, value if name.endswith("_id") else SecretStr(value))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def verification_keys(self) -> dict[str, str]:
        """Every key a token may be signed with, by key id."""
        keys = {kid: secret.get_secret_value() for kid, secret in self.previous_signing_keys.items()}
        assert self.signing_key_id
        assert self.signing_key
        keys[self.signing_key_id] = self.signing_key.get_secret_value()
        return keys


def describe_invalid(exc: ValidationError) -> str:
    """A validation failure as one line naming each variable, without echoing the values (a URL's password)."""
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            message = "QINGHU_" + "_".join(str(part) for part in error["loc"]).upper() + ": " + message
        problems.append(message)
    return "; ".join(problems)


@lru_cache
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidSettings(describe_invalid(exc)) from None
