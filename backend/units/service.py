"""Units: the tree every scope is cut from."""

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.db import utcnow
from backend.errors import Conflict, Forbidden, NotFound, ValidationFailed
from backend.etag import check_if_match
from backend.messages import Listed, Text
from backend.pagination import Page, PageParams, paginate
from backend.security.permissions import path_in_subtree
from backend.security.principals import Principal, in_subtree, within_scope
from backend.units.models import ALLOWED_PARENT_KINDS, Unit, UnitKind, path_for
from backend.units.schemas import UnitCreate, UnitNode, UnitRead, UnitUpdate

SORT_FIELDS = {"name": Unit.name, "kind": Unit.kind, "division_code": Unit.division_code, "depth": Unit.depth}


@dataclass(frozen=True)
class UnitFilters:
    kind: UnitKind | None = None
    parent_id: uuid.UUID | None = None
    within: uuid.UUID | None = None
    q: str | None = None
    is_active: bool | None = None


async def get_in_scope(session: AsyncSession, *, principal: Principal, unit_id: uuid.UUID) -> Unit:
    """The unit if the principal's subtree holds it; otherwise it does not exist for them (404)."""
    unit = await session.scalar(sa.select(Unit).where(Unit.id == unit_id, within_scope(principal, Unit.path)))
    if unit is None:
        raise NotFound("No such unit.")
    return unit


async def list_units(
    session: AsyncSession, *, principal: Principal, filters: UnitFilters, page: PageParams
) -> Page[UnitRead]:
    statement = sa.select(Unit).where(within_scope(principal, Unit.path))
    if filters.kind:
        statement = statement.where(Unit.kind == filters.kind)
    if filters.parent_id:
        statement = statement.where(Unit.parent_id == filters.parent_id)
    if filters.within:
        anchor = await get_in_scope(session, principal=principal, unit_id=filters.within)
        statement = statement.where(in_subtree(Unit.path, anchor.path))
    if filters.q:
        statement = statement.where(Unit.name.contains(filters.q, autoescape=True))
    if filters.is_active is not None:
        statement = statement.where(Unit.is_active == filters.is_active)
    return await paginate(session, statement, page, lambda row: UnitRead.model_validate(row[0]))


async def tree(session: AsyncSession, *, principal: Principal, include_inactive: bool = True) -> UnitNode:
    """The principal's subtree as nested nodes, in one query."""
    statement = sa.select(Unit).where(within_scope(principal, Unit.path)).order_by(Unit.depth, Unit.name)
    if not include_inactive:
        statement = statement.where(Unit.is_active.is_(True))
    nodes: dict[uuid.UUID, UnitNode] = {}
    root: UnitNode | None = None
    for unit in (await session.scalars(statement)).all():
        node = UnitNode.model_validate(unit, from_attributes=True)
        nodes[unit.id] = node
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        if unit.id == principal.unit_id:
            root = node
        # Rows come by depth and an active unit's parent is active, so every unit below the root finds its own.
        elif parent is not None:  # pragma: no branch
            parent.children.append(node)
    # Defensive: people of a deactivated unit are refused at authentication, so their unit is always here.
    if root is None:  # pragma: no branch
        raise NotFound("Your unit is not available.")
    return root


def _check_parent_kind(kind: UnitKind, parent: Unit | None, field: str) -> None:
    parent_kind = UnitKind(parent.kind) if parent else None
    if parent_kind not in ALLOWED_PARENT_KINDS[kind]:
        allowed = Listed(sorted(k for k in ALLOWED_PARENT_KINDS[kind] if k))
        raise ValidationFailed.field(
            ["body", field],
            Text("a {kind} must sit under a unit of kind {allowed}", kind=kind, allowed=allowed),
            "unit.parent_kind",
        )


async def _check_sibling_name(
    session: AsyncSession, *, parent_id: uuid.UUID | None, name: str, exclude: uuid.UUID | None = None
) -> None:
    statement = sa.select(Unit.id).where(Unit.parent_id == parent_id, Unit.name == name)
    if exclude:
        statement = statement.where(Unit.id != exclude)
    if await session.scalar(statement):
        raise Conflict(Text("A unit named {name!r} already exists under the same parent.", name=name))


async def create_unit(session: AsyncSession, *, principal: Principal | None, unit_in: UnitCreate) -> Unit:
    """Create a unit under a parent in the principal's scope (``principal`` None: the command line)."""
    parent = (
        await session.get(Unit, unit_in.parent_id)
        if principal is None
        else await session.scalar(
            sa.select(Unit).where(Unit.id == unit_in.parent_id, within_scope(principal, Unit.path))
        )
    )
    if parent is None:
        raise ValidationFailed.field(["body", "parent_id"], "no such unit", "unit.not_found")
    if not parent.is_active:
        raise ValidationFailed.field(["body", "parent_id"], "the parent unit is deactivated", "unit.inactive")
    _check_parent_kind(unit_in.kind, parent, "parent_id")
    await _check_sibling_name(session, parent_id=parent.id, name=unit_in.name)
    unit_id = uuid.uuid4()
    unit = Unit(
        id=unit_id,
        name=unit_in.name,
        kind=unit_in.kind,
        division_code=unit_in.division_code,
        parent_id=parent.id,
        path=path_for(unit_id, parent.path),
        depth=parent.depth + 1,
    )
    session.add(unit)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.unit_created,
        actor=principal,
        unit_id=unit.id,
        object_type="unit",
        object_id=unit.id,
    )
    return unit


async def create_root_unit(
    session: AsyncSession, *, name: str, kind: UnitKind, division_code: str | None
) -> Unit:
    """The top of the tree, made once from the command line when a county starts using Qinghu."""
    _check_parent_kind(kind, None, "parent_id")
    await _check_sibling_name(session, parent_id=None, name=name)
    unit_id = uuid.uuid4()
    unit = Unit(id=unit_id, name=name, kind=kind, division_code=division_code, path=path_for(unit_id, None))
    session.add(unit)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.unit_created,
        actor=None,
        unit_id=unit.id,
        object_type="unit",
        object_id=unit.id,
    )
    return unit


async def update_unit(
    session: AsyncSession, *, principal: Principal, unit: Unit, unit_in: UnitUpdate, if_match: str | None
) -> Unit:
    """Rename, move (cycles refused, the subtree's paths rewritten in one statement), recode, (de)activate."""
    check_if_match(if_match, unit.version)
    changes = unit_in.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] != unit.name:
        await _check_sibling_name(session, parent_id=unit.parent_id, name=changes["name"], exclude=unit.id)
        unit.name = changes["name"]
    if "division_code" in changes:
        unit.division_code = changes["division_code"]
    if "parent_id" in changes and changes["parent_id"] != unit.parent_id:
        await _move(session, principal=principal, unit=unit, new_parent_id=changes["parent_id"])
    if "is_active" in changes and changes["is_active"] != unit.is_active:
        await _set_active(session, principal=principal, unit=unit, active=changes["is_active"])
    if session.is_modified(unit):
        unit.version += 1
        unit.updated_at = utcnow()
        await audit.record(
            session,
            action=AuditAction.unit_updated,
            actor=principal,
            unit_id=unit.id,
            object_type="unit",
            object_id=unit.id,
            fields=list(changes),
        )
    await session.flush()
    return unit


async def _move(session: AsyncSession, *, principal: Principal, unit: Unit, new_parent_id: Any) -> None:
    if new_parent_id is None:
        raise ValidationFailed.field(["body", "parent_id"], "a unit cannot be moved to the top", "unit.root")
    if unit.id == principal.unit_id:
        raise Forbidden("You cannot move your own unit.")
    try:
        parent = await get_in_scope(session, principal=principal, unit_id=new_parent_id)
    except NotFound as exc:
        raise ValidationFailed.field(["body", "parent_id"], "no such unit", "unit.not_found") from exc
    if path_in_subtree(parent.path, unit.path):
        raise ValidationFailed.field(
            ["body", "parent_id"], "a unit cannot be moved under itself or its own descendant", "unit.cycle"
        )
    if not parent.is_active:
        raise ValidationFailed.field(["body", "parent_id"], "the parent unit is deactivated", "unit.inactive")
    _check_parent_kind(UnitKind(unit.kind), parent, "parent_id")
    await _check_sibling_name(session, parent_id=parent.id, name=unit.name, exclude=unit.id)
    old_path, new_path = unit.path, path_for(unit.id, parent.path)
    depth_change = parent.depth + 1 - unit.depth
    await session.flush()
    await session.execute(
        sa.update(Unit)
        .where(in_subtree(Unit.path, old_path))
        .values(
            path=sa.literal(new_path, sa.String) + sa.func.substr(Unit.path, len(old_path) + 1),
            depth=Unit.depth + depth_change,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(unit)
    unit.parent_id = parent.id


async def _set_active(session: AsyncSession, *, principal: Principal, unit: Unit, active: bool) -> None:
    if not active:
        if unit.id == principal.unit_id:
            raise Forbidden("You cannot deactivate your own unit.")
        active_child = await session.scalar(
            sa.select(Unit.name).where(Unit.parent_id == unit.id, Unit.is_active.is_(True)).limit(1)
        )
        if active_child:
            raise Conflict(
                "Deactivate or move the units under it first.", extra={"blocking_unit": active_child}
            )
    # A unit without a parent is a root: its admin's own unit, which nobody may deactivate.
    elif unit.parent_id:  # pragma: no branch
        parent = await session.get(Unit, unit.parent_id)
        if parent is not None and not parent.is_active:
            raise Conflict("Its parent unit is deactivated; reactivate that first.")
    unit.is_active = active


async def school_named(session: AsyncSession, name: str | None) -> uuid.UUID | None:
    """An active school with exactly this name, if there is one."""
    if not name:
        return None
    return await session.scalar(
        sa.select(Unit.id).where(Unit.name == name, Unit.kind == UnitKind.school, Unit.is_active.is_(True))
    )
