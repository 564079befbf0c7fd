"""A care file as a row: found in the caller's scope, locked for a change, and whether a transfer is under way."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.care_files.models import (
    CareFile,
)
from backend.db import AnySelect, InSelect, JsonArrayContains, utcnow
from backend.errors import Forbidden, NotFound
from backend.security import permissions
from backend.security.principals import Principal, in_subtree, subtrees_holding, within_scope
from backend.security.roles import Role
from backend.transfers.models import PENDING_STATUSES, Transfer
from backend.units.models import Unit
from backend.users.models import User

ManagingUnit = aliased(Unit, name="care_managing_unit")


def scoped_files() -> AnySelect:
    return sa.select(CareFile, ManagingUnit.name, ManagingUnit.kind).join(
        ManagingUnit, ManagingUnit.id == CareFile.managing_unit_id
    )


def file_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """The files a principal reaches (with ``ManagingUnit`` joined): those kept in their subtree or delegated by
    it (委托管理: the accountable unit keeps reading), or, for a team member (police, teachers), those whose team
    names them in an assignment a lead made or confirmed."""
    if permissions.works_on_care_files_as_team_member(principal):
        return _team_member_scope(principal)
    # Both by unit id, so that PostgreSQL reads each from its index (InSelect) instead of testing every file.
    units = sa.select(Unit.id).where(within_scope(principal, Unit.path))
    return sa.or_(InSelect(CareFile.managing_unit_id, units), InSelect(CareFile.accountable_unit_id, units))


def file_scope_parts(principal: Principal) -> list[sa.ColumnElement[bool]]:
    """``file_scope`` as disjoint conditions (no file meets two; their OR is the scope), so that a statement may
    ask each from its own index: the files managed in the subtree apart from the few it only delegated, which
    lets PostgreSQL answer the first from an index alone where the OR needs every file's row."""
    if permissions.works_on_care_files_as_team_member(principal):
        return [_team_member_scope(principal)]
    units = sa.select(Unit.id).where(within_scope(principal, Unit.path))
    managed = InSelect(CareFile.managing_unit_id, units)
    return [managed, sa.and_(InSelect(CareFile.accountable_unit_id, units), sa.not_(managed))]


def scope_paths_of_file(managing_path: str, accountable_path: str | None) -> set[str]:
    """The unit paths whose principals reach a file managed and accounted for at these units through
    ``file_scope``'s subtree part (anyone but a team member): managed in their subtree or delegated by it."""
    return {
        *subtrees_holding(managing_path),
        *(subtrees_holding(accountable_path) if accountable_path else ()),
    }


def team_reaches_file(
    principal: Principal, *, kept_by_school_id: uuid.UUID | None, confirmed_ids: list[str]
) -> bool:
    """``file_scope`` of a team member (``_team_member_scope``) for one file, in Python: named on its confirmed
    team, or the school's own file for a school's staff."""
    return str(principal.id) in confirmed_ids or (
        permissions.may_keep_school_files(principal)
        and kept_by_school_id is not None
        and str(kept_by_school_id) == str(principal.unit_id)  # a driver's UUID type or the standard one
    )


def _team_member_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """A team member's files; for a school's staff also their school's own files (学校一人一档)."""
    named = JsonArrayContains(CareFile.confirmed_responsible_ids, str(principal.id))
    if permissions.may_keep_school_files(principal):
        return sa.or_(named, CareFile.kept_by_school_id == principal.unit_id)
    return named


def managed_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """The files a principal changes: those kept in their subtree (a delegated file is changed by the unit that
    manages it, not by the accountable one; a school-kept file by its school, not by the station), or a team
    member's own files."""
    if permissions.works_on_care_files_as_team_member(principal):
        return _team_member_scope(principal)
    return sa.and_(within_scope(principal, ManagingUnit.path), CareFile.kept_by_school_id.is_(None))


def keeps_as_school(care_file: CareFile, principal: Principal) -> bool:
    """Whether the principal keeps this file as its school's own (学校一人一档)."""
    return permissions.keeps_school_file(principal, kept_by_school_id=care_file.kept_by_school_id)


def team_roles_of(care_file: CareFile, principal: Principal) -> frozenset[str]:
    """The team roles the file names this person in (none for a lead worker or a stranger)."""
    return frozenset(
        member["role"] for member in care_file.team if member.get("user_id") == str(principal.id)
    )


async def get_in_scope(
    session: AsyncSession, *, principal: Principal, care_file_id: uuid.UUID, for_change: bool = False
) -> CareFile:
    """The file, if the principal reaches it (``file_scope``); otherwise 404. ``for_change``: a file the principal
    only reads because their unit delegated it answers 403."""
    row = (
        await session.execute(
            sa.select(CareFile, managed_scope(principal).label("managed"))
            .join(ManagingUnit, ManagingUnit.id == CareFile.managing_unit_id)
            .where(CareFile.id == care_file_id, file_scope(principal))
        )
    ).first()
    if row is None:
        raise NotFound("No such care file.")
    if for_change and not row.managed:
        if row[0].kept_by_school_id is not None:
            raise Forbidden("The file is kept by the pupil's school: its staff record and change it.")
        raise Forbidden("The file is delegated: the unit that manages it records and changes it.")
    return row[0]


async def lock_file(session: AsyncSession, care_file: CareFile) -> CareFile:
    """Take the file's row for this transaction (a write first, so SQLite queues here too) and read it
    afresh: concurrent writers of one file go one after the other. Bumps the version once."""
    await session.execute(
        sa.update(CareFile).where(CareFile.id == care_file.id).values(version=CareFile.version + 1)
    )
    fresh = await session.scalar(
        sa.select(CareFile).where(CareFile.id == care_file.id).execution_options(populate_existing=True)
    )
    assert fresh is not None
    fresh.updated_at = utcnow()
    return fresh


async def pending_transfer_id(session: AsyncSession, minor_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(Transfer.id).where(Transfer.minor_id == minor_id, Transfer.status.in_(PENDING_STATUSES))
    )


async def eligible_lead(session: AsyncSession, *, unit_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """The user, if they can be a file's lead worker in this unit: active, in its subtree, keeping care files."""
    unit_path = await session.scalar(sa.select(Unit.path).where(Unit.id == unit_id))
    if unit_path is None:
        return None
    user = await session.scalar(
        sa.select(User)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.id == user_id, User.is_active.is_(True), in_subtree(Unit.path, unit_path))
    )
    if user is None or not permissions.may_lead_a_care_file(Role(user.role)):
        return None
    return user


async def display_names(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The display names of these people (a file's lead, team members with accounts, who decided a closure)."""
    if not ids:
        return {}
    rows = await session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}
