"""Password hashing (argon2id) and the password policy: one place for both."""

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from backend.settings import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    settings = get_settings()
    return PasswordHasher(
        time_cost=settings.argon2_time_cost,
        memory_cost=settings.argon2_memory_cost,
        parallelism=settings.argon2_parallelism,
    )


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher().verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str) -> bool:
    return _hasher().check_needs_rehash(secret_hash)


@lru_cache
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so timing tells nothing."""
    return hash_secret(secrets.token_urlsafe(16))


class WeakPasswordError(ValueError):
    def __init__(self, message: str, problem_type: str) -> None:
        super().__init__(message)
        self.problem_type = problem_type


def check_password_policy(password: str, *, user_inputs: list[str]) -> None:
    """Refuse short and guessable passwords (common passwords, keyboard runs, the username)."""
    settings = get_settings()
    if len(password) < settings.password_min_length:
        raise WeakPasswordError(
            f"must be at least {settings.password_min_length} characters long", "password.too_short"
        )
    if len(password) > 128:
        raise WeakPasswordError("must be at most 128 characters long", "password.too_long")
    lowered = password.lower()
    if any(value and len(value) >= 3 and value.lower() in lowered for value in user_inputs):
        raise WeakPasswordError("must not contain the username or name", "password.personal")
    strength = zxcvbn(password[:100], user_inputs=[v for v in user_inputs if v])
    if strength["score"] < settings.password_min_strength:
        raise WeakPasswordError("is too common or easy to guess", "password.too_weak")


def generate_password() -> str:
    """A one-time password for an administrator's reset: readable, strong, never stored in clear."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def generate_client_secret() -> str:
    return secrets.token_urlsafe(32)
