"""The only place that touches JWTs (python-jose) and refresh-token material.

Access tokens are HS256 JWTs with a ``kid`` header, checked for issuer, audience and expiry. Refresh tokens
are opaque random strings; only their SHA-256 digest is stored. Whether a well-signed token is still valid
(its session, its client's generation, the revocation list) is the database's to say, on every request
(``backend/auth/deps.py``): nothing here remembers validity.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from jose import JWTError, jwt

from backend.settings import Settings

ALGORITHM = "HS256"  # pinned: tokens naming any other algorithm (``none`` included) are refused


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired, or not meant for us."""


@dataclass(frozen=True)
class AccessClaims:
    subject_kind: str  # "user" or "client"
    subject_id: uuid.UUID
    scopes: frozenset[str]
    session_id: uuid.UUID | None
    expires_at: datetime
    token_id: str  # the ``jti``, by which a client's token is revoked
    generation: int  # a client's token generation at issue (``ApiClient.token_generation``)


def issue_access_token(
    settings: Settings,
    *,
    subject_kind: str,
    subject_id: uuid.UUID,
    scopes: frozenset[str],
    session_id: uuid.UUID | None = None,
    generation: int = 0,
    now: datetime | None = None,
) -> tuple[str, int]:
    """Sign an access token; returns it with its lifetime in seconds."""
    issued = now or datetime.now(UTC)
    ttl = settings.access_token_ttl_seconds
    claims: dict[str, Any] = {
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "sub": f"{subject_kind}:{subject_id}",
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=ttl)).timestamp()),
        "jti": uuid.uuid4().hex,
        "scope": " ".join(sorted(scopes)),
        "typ": "access",
    }
    if session_id:
        claims["sid"] = str(session_id)
    if generation:
        claims["gen"] = generation
    assert settings.signing_key
    assert settings.signing_key_id
    token = jwt.encode(
        claims,
        settings.signing_key.get_secret_value(),
        algorithm=ALGORITHM,
        headers={"kid": settings.signing_key_id},
    )
    return token, ttl


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """The claims of a valid access token. Its signature and claims are checked once and remembered, keyed by
    the token and the key that verified it (a client uses one token for many requests); its expiry is checked
    on every use."""
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidTokenError("malformed token") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError("unexpected token algorithm")
    key = settings.verification_keys().get(str(header.get("kid")))
    if key is None:
        raise InvalidTokenError("unknown signing key")
    claims = _verified_claims(token, key, settings.token_audience, settings.token_issuer)
    if _now() > claims.expires_at + LEEWAY:
        raise InvalidTokenError("Signature has expired.")
    return claims


LEEWAY = timedelta(seconds=10)  # of expiry and not-before, for clocks a little apart


def _now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=4096)
def _verified_claims(token: str, key: str, audience: str, issuer: str) -> AccessClaims:
    """Verify once (signature, issuer, audience, times, shape); a failure is not remembered. Only what the
    signature proves is kept here, never whether the token is still valid: that is read from the database."""
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "leeway": int(LEEWAY.total_seconds()),
            },
        )
    except JWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    if claims.get("typ") != "access":
        raise InvalidTokenError("not an access token")
    kind, _, raw_id = str(claims["sub"]).partition(":")
    try:
        subject_id = uuid.UUID(raw_id)
        session_id = uuid.UUID(claims["sid"]) if claims.get("sid") else None
        generation = int(claims.get("gen", 0))
    except (ValueError, TypeError) as exc:
        raise InvalidTokenError("malformed subject") from exc
    token_id = claims.get("jti")
    if not isinstance(token_id, str) or not 0 < len(token_id) <= 64:
        raise InvalidTokenError("malformed token id")
    if kind not in ("user", "client"):
        raise InvalidTokenError("malformed subject")
    return AccessClaims(
        subject_kind=kind,
        subject_id=subject_id,
        scopes=frozenset(str(claims.get("scope", "")).split()),
        session_id=session_id,
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        token_id=token_id,
        generation=generation,
    )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def digest_refresh_token(token: str) -> str:
    # A 256-bit random token needs no slow hash; a digest keeps a leaked table from being usable.
    return hashlib.sha256(token.encode()).hexdigest()
