"""People: accounts, roles, units, passwords."""

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.auth import sessions, throttle
from backend.db import utcnow
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.messages import Text
from backend.pagination import Page, PageParams, paginate
from backend.security.passwords import (
    WeakPasswordError,
    check_password_policy,
    generate_password,
    hash_secret,
    verify_secret,
)
from backend.security.principals import Principal, in_subtree, within_scope
from backend.security.roles import Role
from backend.settings import Settings
from backend.units.models import Unit
from backend.units.schemas import UnitSummary
from backend.users.models import User
from backend.users.schemas import UserCreate, UserCreated, UserRead, UserUpdate

SORT_FIELDS = {
    "username": User.username,
    "display_name": User.display_name,
    "role": User.role,
    "created_at": User.created_at,
    "last_login_at": User.last_login_at,
}


@dataclass(frozen=True)
class UserFilters:
    role: Role | None = None
    # The path of a unit already found in the reader's scope (the router asks the units service for it).
    within_path: str | None = None
    is_active: bool | None = None
    q: str | None = None


def to_read(user: User, unit: Unit, locked_until: datetime | None = None) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        unit=UnitSummary.model_validate(unit),
        is_active=user.is_active,
        must_change_password=user.must_change_password,
        locked_until=locked_until,
        last_login_at=user.last_login_at,
        version=user.version,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def _scoped_users() -> sa.Select[User, Unit]:
    return sa.select(User, Unit).join(Unit, Unit.id == User.unit_id)


async def present(session: AsyncSession, *, user: User, unit: Unit) -> UserRead:
    """One person as read, with the time their account's login attempts wait until, if they wait now."""
    locked_until = await session.scalar(sa.select(throttle.slowed_until(sa.literal(user.id), utcnow())))
    return to_read(user, unit, locked_until)


async def get_in_scope(
    session: AsyncSession, *, principal: Principal, user_id: uuid.UUID
) -> tuple[User, Unit]:
    row = (
        await session.execute(_scoped_users().where(User.id == user_id, within_scope(principal, Unit.path)))
    ).first()
    if row is None:
        raise NotFound("No such person.")
    return row[0], row[1]


async def list_users(
    session: AsyncSession, *, principal: Principal, filters: UserFilters, page: PageParams
) -> Page[UserRead]:
    statement = (
        _scoped_users()
        .add_columns(throttle.slowed_until(User.id, utcnow()))
        .where(within_scope(principal, Unit.path))
    )
    if filters.role:
        statement = statement.where(User.role == filters.role)
    if filters.within_path:
        statement = statement.where(in_subtree(Unit.path, filters.within_path))
    if filters.is_active is not None:
        statement = statement.where(User.is_active == filters.is_active)
    if filters.q:
        pattern = filters.q.lower()
        statement = statement.where(
            sa.or_(
                User.username.contains(pattern, autoescape=True),
                User.display_name.contains(filters.q, autoescape=True),
            )
        )
    return await paginate(session, statement, page, lambda row: to_read(row[0], row[1], row[2]))


def _enforce_policy(password: str, *, username: str, display_name: str, unit_name: str, field: str) -> None:
    try:
        check_password_policy(password, personal=[username, display_name], context=[unit_name])
    except WeakPasswordError as exc:
        raise ValidationFailed.field(["body", field], exc.text, exc.problem_type) from exc


async def _unit_for_person(session: AsyncSession, principal: Principal | None, unit_id: uuid.UUID) -> Unit:
    """The unit a person is placed in: in the administrator's scope and active."""
    unit = (
        await session.get(Unit, unit_id)
        if principal is None
        else await session.scalar(
            sa.select(Unit).where(Unit.id == unit_id, within_scope(principal, Unit.path))
        )
    )
    if unit is None:
        raise ValidationFailed.field(["body", "unit_id"], "no such unit", "unit.not_found")
    if not unit.is_active:
        raise ValidationFailed.field(["body", "unit_id"], "the unit is deactivated", "unit.inactive")
    return unit


async def create_user(
    session: AsyncSession,
    *,
    principal: Principal | None,
    user_in: UserCreate,
    must_change_password: bool = True,
) -> UserCreated:
    """Create a person. ``principal`` is None only for the command line, which works outside any scope."""
    unit = await _unit_for_person(session, principal, user_in.unit_id)
    if await session.scalar(sa.select(User.id).where(User.username == user_in.username)):
        raise Conflict(Text("The username {username!r} is taken.", username=user_in.username))
    generated = user_in.password is None
    password = generate_password() if generated else user_in.password
    assert password is not None
    if not generated:
        _enforce_policy(
            password,
            username=user_in.username,
            display_name=user_in.display_name,
            unit_name=unit.name,
            field="password",
        )
    user = User(
        username=user_in.username,
        display_name=user_in.display_name,
        role=user_in.role,
        unit_id=unit.id,
        password_hash=hash_secret(password),
        password_changed_at=utcnow(),
        must_change_password=must_change_password,
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.user_created,
        actor=principal,
        unit_id=unit.id,
        object_type="user",
        object_id=user.id,
    )
    return UserCreated(**to_read(user, unit).model_dump(), one_time_password=password if generated else None)


async def update_user(
    session: AsyncSession,
    *,
    principal: Principal,
    user: User,
    user_in: UserUpdate,
    if_match: str | None,
) -> tuple[User, Unit]:
    check_if_match(if_match, user.version)
    changes = user_in.model_dump(exclude_unset=True)
    if user.id == principal.id and (
        changes.get("is_active") is False or changes.get("role", user.role) != user.role
    ):
        raise Forbidden("You cannot deactivate yourself or change your own role.")
    for field in ("display_name", "role"):
        if changes.get(field) is not None:
            setattr(user, field, changes[field])
    unit = await session.get(Unit, user.unit_id)
    if changes.get("unit_id") and changes["unit_id"] != user.unit_id:
        unit = await _unit_for_person(session, principal, changes["unit_id"])
        user.unit_id = unit.id
    if changes.get("is_active") is not None and changes["is_active"] != user.is_active:
        user.is_active = changes["is_active"]
        if not user.is_active:
            await sessions.revoke_all_for_user(session, user_id=user.id, reason="deactivated")
    if session.is_modified(user):
        user.version += 1
        user.updated_at = utcnow()
        await audit.record(
            session,
            action=AuditAction.user_updated,
            actor=principal,
            unit_id=user.unit_id,
            object_type="user",
            object_id=user.id,
            fields=list(changes),
        )
    await session.flush()
    assert unit is not None
    return user, unit


async def reset_password(session: AsyncSession, *, principal: Principal, user: User) -> str:
    """A one-time password the person must change; unlocks the account and ends its sessions."""
    password = generate_password()
    user.password_hash = hash_secret(password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.version += 1
    user.updated_at = utcnow()
    await throttle.unlock(session, user_id=user.id)
    await sessions.revoke_all_for_user(session, user_id=user.id, reason="password_reset")
    await audit.record(
        session,
        action=AuditAction.user_password_reset,
        actor=principal,
        unit_id=user.unit_id,
        object_type="user",
        object_id=user.id,
    )
    await session.flush()
    return password


async def unlock(session: AsyncSession, *, principal: Principal, user: User) -> None:
    """An administrator clears the failed logins counted against a person's account, so that its login attempts
    no longer wait (the counters of the addresses they came from stay)."""
    await throttle.unlock(session, user_id=user.id)
    await audit.record(
        session,
        action=AuditAction.user_unlocked,
        actor=principal,
        unit_id=user.unit_id,
        object_type="user",
        object_id=user.id,
    )
    await session.flush()


async def change_own_password(
    session: AsyncSession,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    attempt: throttle.LoginAttempt,
    settings: Settings,
) -> None:
    """A person changes their own password; their other sessions end, this one stays. The current password is
    checked like a login: counted, and slowed down by the same counters."""
    user = await session.get(User, principal.id)
    if user is None:
        raise NotFound("No such person.")
    now = utcnow()
    admission = await throttle.admit(session, settings=settings, attempt=attempt, now=now)
    if not verify_secret(user.password_hash, current_password):
        await throttle.failed(session, settings=settings, admission=admission, now=now)
        mismatch = ValidationFailed.field(
            ["body", "current_password"], "does not match your password", "password.mismatch"
        )
        mismatch.keep_changes = True  # the failure stays counted
        raise mismatch
    await throttle.succeeded(session, settings=settings, admission=admission, now=now)
    if new_password == current_password:
        raise ValidationFailed.field(
            ["body", "new_password"], "must differ from the current password", "password.unchanged"
        )
    unit = await session.get(Unit, user.unit_id)
    assert unit is not None
    _enforce_policy(
        new_password,
        username=user.username,
        display_name=user.display_name,
        unit_name=unit.name,
        field="new_password",
    )
    user.password_hash = hash_secret(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    user.version += 1
    user.updated_at = utcnow()
    await sessions.revoke_all_for_user(
        session, user_id=user.id, reason="password_changed", keep=principal.session_id
    )
    await audit.record(
        session, action=AuditAction.password_changed, actor=principal, object_type="user", object_id=user.id
    )
    await session.flush()
