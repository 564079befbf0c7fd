"""Login protection that cannot be turned against users (docs/security.md).

Failed password checks (logins, and the current-password check of a password change) are counted per account
and per client address, in the database so that every API process sees the same counters. Past its free
failures a counter makes each further attempt wait, the wait doubling up to a cap: an account is slowed down,
never locked out. An account is keyed by a keyed hash of the username typed, whether or not such an account
exists, so that unknown usernames are counted and answered exactly like known ones. Attempts from an address the
account logged in from lately are spared the account's wait (only their address's own counter applies): an
attacker elsewhere can slow an account down but cannot keep its owner out.

Each attempt is counted *before* its password is checked (and the count taken back if it was right), so that
parallel attempts cannot slip past a wait: on PostgreSQL the counter's row stays locked until the attempt's
transaction ends, on SQLite writers take turns anyway.
"""

import ipaddress
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.auth.models import LoginKnownAddress, LoginThrottle
from backend.auth.rows import prune, upsert
from backend.errors import TooManyRequests
from backend.security.crypto import FieldCipher
from backend.settings import Settings

ACCOUNT = "account:"
ADDRESS = "address:"
# Doubling stops here: the cap is reached long before.
_MAX_DOUBLINGS = 30


class LoginThrottled(TooManyRequests):
    """429: attempts under this account or from this address wait until ``locked_until`` (``Retry-After``)."""

    # The slug the web app and clients already know; it names the wait, not a locked account.
    slug, title = "account-locked", "Too many failed logins"

    def __init__(self, blocked_until: datetime, now: datetime) -> None:
        seconds = max(1, math.ceil((blocked_until - now).total_seconds()))
        wait = (
            f"{seconds} second{'s' if seconds > 1 else ''}"
            if seconds < 120
            else f"{math.ceil(seconds / 60)} minutes"
        )
        super().__init__(
            f"Too many failed logins; try again in {wait}.",
            headers={"Retry-After": str(seconds)},
            extra={"locked_until": blocked_until.isoformat()},
        )


@lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return parsed.ipv4_mapped
    return parsed


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the connection's peer, or, when the peer is a trusted proxy
    (``QINGHU_TRUSTED_PROXIES``), the nearest address in ``X-Forwarded-For`` that is not itself a trusted proxy.
    Entries further left were written by the client and could say anything, so they are never read."""
    peer = request.client.host if request.client else ""
    trusted = _networks(tuple(settings.trusted_proxies))

    def is_trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in trusted)

    nearest = _parse(peer)
    if not is_trusted(nearest):
        return peer or "unknown"
    hops = [hop for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # not written by a proxy of ours: stop at the last hop we can vouch for
        nearest = address
        if not is_trusted(address):
            break
    return str(nearest)


def address_key(address: str) -> str:
    """The counter of an address. IPv6 clients are counted per /64, the block one subscriber usually holds."""
    parsed = _parse(address)
    if parsed is None:
        return ADDRESS + address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        return ADDRESS + str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return ADDRESS + str(parsed)


def account_key(cipher: FieldCipher, username: str) -> str:
    """The counter of the account named ``username``, known or not. Keyed hash: what was typed in the username
    field (sometimes a password) is never stored."""
    return ACCOUNT + cipher.lookup_hash(username.strip().lower(), context="login.account")


@dataclass(frozen=True)
class LoginAttempt:
    """One password check: the account it is for (``user_id`` when the account exists) and where it came from."""

    account_key: str
    address: str
    user_id: uuid.UUID | None = None

    @property
    def address_key(self) -> str:
        return address_key(self.address)


@dataclass(frozen=True)
class Admission:
    attempt: LoginAttempt
    # False when the address is known to the account: the account's counter does not hold this attempt back,
    # and was not counted ahead.
    account_counted_ahead: bool


def _wait(failures: int, free: int, settings: Settings) -> timedelta | None:
    """How long the next attempt waits after ``failures`` failures, ``free`` of them without a wait."""
    if failures < free:
        return None
    doublings = min(failures - free, _MAX_DOUBLINGS)
    seconds = min(settings.login_backoff_base_seconds * 2**doublings, settings.login_backoff_max_seconds)
    return timedelta(seconds=seconds)


def _window_start(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(seconds=settings.login_failure_window_seconds)


def _count(
    session: AsyncSession,
    *,
    key: str,
    user_id: uuid.UUID | None,
    settings: Settings,
    now: datetime,
    unless_waiting: bool = False,
) -> sa.Insert:
    """One more failure under ``key`` (restarting from one when the last was longer ago than the window); with
    ``unless_waiting``, nothing while the key waits."""
    statement = upsert(session, LoginThrottle).values(
        key=key, user_id=user_id, failures=1, last_failure_at=now, blocked_until=None
    )
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": sa.case(
                (LoginThrottle.last_failure_at < _window_start(settings, now), 1),
                else_=LoginThrottle.failures + 1,
            ),
            "last_failure_at": now,
        },
        where=(
            sa.or_(LoginThrottle.blocked_until.is_(None), col(LoginThrottle.blocked_until) <= now)
            if unless_waiting
            else None
        ),
    )


async def _count_ahead(
    session: AsyncSession,
    *,
    key: str,
    user_id: uuid.UUID | None,
    free: int,
    settings: Settings,
    now: datetime,
) -> None:
    """Count the attempt under ``key`` unless the key is waiting (then 429), and start the wait the count
    calls for. The row stays locked until the transaction ends, so a parallel attempt sees this count."""
    statement = _count(session, key=key, user_id=user_id, settings=settings, now=now, unless_waiting=True)
    failures = (await session.execute(statement.returning(LoginThrottle.failures))).scalar_one_or_none()
    if failures is None:
        blocked_until = await session.scalar(
            sa.select(LoginThrottle.blocked_until).where(LoginThrottle.key == key)
        )
        assert blocked_until is not None
        raise LoginThrottled(blocked_until, now)
    wait = _wait(failures, free, settings)
    if wait is not None:
        await session.execute(
            sa.update(LoginThrottle).where(LoginThrottle.key == key).values(blocked_until=now + wait)
        )


async def admit(
    session: AsyncSession, *, settings: Settings, attempt: LoginAttempt, now: datetime
) -> Admission:
    """Let a password check go ahead, counted ahead as a failure, or refuse it with 429 while the address, or the
    account (unless the address is known to it), waits. The same statements run whether the account exists."""
    since = now - timedelta(days=settings.login_known_address_days)
    known = bool(
        settings.login_known_address_days
        and await session.scalar(
            sa.select(sa.literal(True)).where(
                LoginKnownAddress.account_key == attempt.account_key,
                LoginKnownAddress.address == attempt.address_key,
                LoginKnownAddress.last_success_at >= since,
            )
        )
    )
    # The address first, then the account: every attempt locks the two rows in the same order (no deadlock).
    await _count_ahead(
        session,
        key=attempt.address_key,
        user_id=None,
        free=settings.login_address_max_failures,
        settings=settings,
        now=now,
    )
    if not known:
        await _count_ahead(
            session,
            key=attempt.account_key,
            user_id=attempt.user_id,
            free=settings.login_max_failures,
            settings=settings,
            now=now,
        )
    return Admission(attempt=attempt, account_counted_ahead=not known)


async def failed(session: AsyncSession, *, settings: Settings, admission: Admission, now: datetime) -> None:
    """The password was wrong. It was counted ahead, except on the account from a known address: count it there
    now, so that the account's other addresses are slowed down too."""
    if admission.account_counted_ahead:
        return
    attempt = admission.attempt
    statement = _count(session, key=attempt.account_key, user_id=attempt.user_id, settings=settings, now=now)
    failures = (await session.execute(statement.returning(LoginThrottle.failures))).scalar_one()
    wait = _wait(failures, settings.login_max_failures, settings)
    if wait is not None:
        await session.execute(
            sa.update(LoginThrottle)
            .where(
                LoginThrottle.key == attempt.account_key,
                sa.or_(LoginThrottle.blocked_until.is_(None), col(LoginThrottle.blocked_until) < now + wait),
            )
            .values(blocked_until=now + wait)
        )


async def succeeded(
    session: AsyncSession, *, settings: Settings, admission: Admission, now: datetime
) -> None:
    """The password was right: take back the address's count of this attempt (a valid login of one's own must
    not clear the failures one made on others), clear the account's failures when this attempt had to pass its
    counter, and remember the address as known to the account."""
    attempt = admission.attempt
    await session.execute(
        sa.update(LoginThrottle)
        .where(LoginThrottle.key == attempt.address_key)
        .values(
            failures=sa.case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0),
            blocked_until=None,
        )
    )
    if admission.account_counted_ahead:
        # From a known address the count stays: the owner's login must not give an attacker elsewhere a fresh
        # set of free attempts.
        await session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == attempt.account_key))
    if settings.login_known_address_days:
        await session.execute(
            upsert(session, LoginKnownAddress)
            .values(account_key=attempt.account_key, address=attempt.address_key, last_success_at=now)
            .on_conflict_do_update(index_elements=["account_key", "address"], set_={"last_success_at": now})
        )
    await prune(
        session,
        [LoginThrottle.key],
        sa.and_(
            LoginThrottle.last_failure_at < _window_start(settings, now),
            sa.or_(LoginThrottle.blocked_until.is_(None), col(LoginThrottle.blocked_until) < now),
        ),
    )
    await prune(
        session,
        [LoginKnownAddress.account_key, LoginKnownAddress.address],
        LoginKnownAddress.last_success_at < now - timedelta(days=settings.login_known_address_days),
    )


async def unlock(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """An administrator clears a person's account counter (the addresses' counters stay)."""
    await session.execute(sa.delete(LoginThrottle).where(LoginThrottle.user_id == user_id))


def slowed_until(user_id_column: sa.ColumnElement[uuid.UUID], now: datetime) -> sa.ScalarSelect[datetime]:
    """The time until which the person's account makes attempts wait, if later than ``now`` (a column for the
    people list)."""
    return (
        sa.select(LoginThrottle.blocked_until)
        .where(LoginThrottle.user_id == user_id_column, col(LoginThrottle.blocked_until) > now)
        .limit(1)
        .scalar_subquery()
    )
