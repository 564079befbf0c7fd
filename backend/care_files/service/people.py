"""The people an assignment form offers for a unit's files: who may lead them, and the police officers and
teachers who may work in them as team members (people outside Qinghu are named by hand)."""

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.care_files.models import TeamRole
from backend.care_files.schemas import PersonRef, TeamCandidate
from backend.care_files.service.intervals import unit_in_scope
from backend.security import permissions
from backend.security.principals import Principal, in_subtree
from backend.security.roles import Role
from backend.units.models import Unit
from backend.units.schemas import UnitSummary
from backend.users.models import User


async def _form_unit_path(session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID | None) -> str:
    """The path of the unit whose people an assignment form offers (default: the caller's), in scope."""
    permissions.ensure(
        permissions.may_keep_care_files(principal),
        "Only the station's social workers and leads keep care files.",
    )
    unit = await unit_in_scope(session, principal, unit_id or principal.unit_id, ["query", "unit_id"])
    return unit.path


async def lead_candidates(
    session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID | None
) -> list[PersonRef]:
    """Who can be named lead worker of the unit's files (its active social workers and leads, the units below
    included): the choices of the assignment form, for those who keep files even without reading people."""
    unit_path = await _form_unit_path(session, principal=principal, unit_id=unit_id)
    rows = await session.execute(
        sa.select(User.id, User.display_name, User.role)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.is_active.is_(True), in_subtree(Unit.path, unit_path))
        .order_by(User.display_name, User.id)
    )
    return [
        PersonRef(id=row.id, name=row.display_name)
        for row in rows
        if permissions.may_lead_a_care_file(Role(row.role))
    ]


async def team_candidates(
    session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID | None
) -> list[TeamCandidate]:
    """Police officers and teachers of the unit's subtree, each with the team role they would take: the
    choices of the team form (people outside Qinghu are named by hand)."""
    unit_path = await _form_unit_path(session, principal=principal, unit_id=unit_id)
    rows = await session.execute(
        sa.select(User.id, User.display_name, User.role, Unit.id.label("unit_id"), Unit.name, Unit.kind)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            User.is_active.is_(True),
            in_subtree(Unit.path, unit_path),
            User.role.in_([role.value for role in permissions.TEAM_ROLE_OF_ACCOUNT]),
        )
        .order_by(Unit.name, User.display_name, User.id)
    )
    return [
        TeamCandidate(
            id=row.id,
            name=row.display_name,
            unit=UnitSummary(id=row.unit_id, name=row.name, kind=row.kind),
            team_role=TeamRole(permissions.TEAM_ROLE_OF_ACCOUNT[Role(row.role)]),
        )
        for row in rows
    ]
