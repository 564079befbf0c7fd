"""The registry's list: its filters, declared once, and its statements, built once per shape."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db import JsonArrayContains, local_today
from backend.errors import Forbidden, ValidationFailed
from backend.identity import shift_years
from backend.minors.models import (
    Minor,
    MinorCount,
    MinorStatus,
)
from backend.minors.service.presenting import MINOR_SELECT, ManagingUnit, shape_minor
from backend.pagination import Page, PageParams, page_statements, run_page
from backend.security import privacy
from backend.security.crypto import cipher_of
from backend.security.principals import (
    Principal,
    in_subtree_template,
    minor_scope,
    minor_scope_template,
    parent_path,
    subtree_parameters,
)
from backend.security.roles import Role
from backend.units.models import Unit

# No sort by birth date: the list masks it for everyone, and an order of birth dates beside records whose
# dates one knows would narrow the others down (docs/privacy.md, "Inference").
SORT_FIELDS = {
    "created_at": Minor.created_at,
    "updated_at": Minor.updated_at,
    "risk_level": Minor.risk_level,
    "status": Minor.status,
}


def _birth_date_bounds_for_age(age: int, today: date) -> tuple[date, date]:
    """Birth dates of people who are ``age`` years old today: (earliest, latest), inclusive."""
    latest = shift_years(today, -age)
    earliest = shift_years(today, -(age + 1)) + timedelta(days=1)
    return earliest, latest


@dataclass(frozen=True)
class MinorFilters:
    status: MinorStatus | None = None
    risk_level: str | None = None
    category: str | None = None
    substance: str | None = None
    within: uuid.UUID | None = None
    school_id: uuid.UUID | None = None
    schooling_status: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    turns_18_within_days: privacy.Turns18Window | None = None
    q: str | None = None


async def list_minors(
    session: AsyncSession,
    *,
    principal: Principal,
    filters: MinorFilters,
    page: PageParams,
) -> Page[dict[str, Any]]:
    """Minors in scope, masked for everyone (the list view of the policy), shaped as plain values.

    The statements are built once for each combination of scope kind, filters given and order
    (``_list_statements``); this request's values are their parameters."""
    cipher = cipher_of(session)
    today = local_today()
    shape = privacy.shape_for(principal, view=privacy.View.list, responsible=False, sealed=False)
    scope = minor_scope(principal)
    parameters = scope.parameters()
    if filters.category in privacy.SENSITIVE_RISK_CATEGORIES:
        _require_sensitive(shape, "category")
    if filters.substance:
        _require_sensitive(shape, "substance")
    if filters.q and principal.role not in privacy.REVEAL_IDENTITY_ROLES:
        raise Forbidden("Searching by name needs a role that may see identities.")
    if filters.within:
        anchor = await _unit_path_within_reach(session, principal, filters.within)
        parameters.update(subtree_parameters("within", anchor))
    for name in ("status", "risk_level", "schooling_status", "school_id"):
        parameters[name] = getattr(filters, name)
    if filters.age_min is not None:
        parameters["born_by"] = _birth_date_bounds_for_age(filters.age_min, today)[1]
    if filters.age_max is not None:
        parameters["born_from"] = _birth_date_bounds_for_age(filters.age_max, today)[0]
    if filters.turns_18_within_days is not None:
        parameters["adult_from"] = shift_years(today, -18) + timedelta(days=1)
        parameters["adult_by"] = shift_years(today + timedelta(days=filters.turns_18_within_days), -18)
    if filters.q:
        parameters["name_pattern"] = f"%{_escape_like(filters.q)}%"
    given = tuple(field.name for field in fields(filters) if getattr(filters, field.name) not in (None, ""))
    page_statement, total_statement = _list_statements(
        _ListShape(scope.kind, given, filters.category, filters.substance, page.sort), page.order_by
    )
    return await run_page(
        session,
        page_statement,
        total_statement,
        page,
        lambda row: shape_minor(row, principal=principal, view=privacy.View.list, cipher=cipher, today=today),
        parameters,
    )


async def _unit_path_within_reach(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> str:
    """The path of a unit in the principal's subtree — for police, in the township they serve too."""
    reach = [principal.unit_path]
    if principal.role is Role.police:
        reach.append(parent_path(principal.unit_path))
    for path in reach:
        found = await session.scalar(
            _UNIT_PATH_IN_SUBTREE, {"unit_id": unit_id, **subtree_parameters("reach", path)}
        )
        if found is not None:
            return found
    raise ValidationFailed.field(["query", "within"], "no such unit in your scope", "unit.not_found")


_UNIT_PATH_IN_SUBTREE = sa.select(Unit.path).where(
    Unit.id == sa.bindparam("unit_id"), in_subtree_template(Unit.path, "reach")
)


@dataclass(frozen=True)
class _ListShape:
    """What the text of a list's statements depends on. (A category or substance is part of it: JSON
    containment takes its code into the statement; the codes are few.)"""

    scope: str
    given: tuple[str, ...]  # the filters given, by name
    category: str | None
    substance: str | None
    sort: str


_LIST_STATEMENTS: dict[_ListShape, tuple[sa.Select[Any], sa.Select[Any]]] = {}


def _list_statements(shape: _ListShape, order_by: Sequence[Any]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The page and total statements for a list of this shape, built on first use and kept: a statement
    built anew costs its construction and its cache key on every request (a fifth of a list's time)."""
    statements = _LIST_STATEMENTS.get(shape)
    if statements is None:
        if len(_LIST_STATEMENTS) >= 1024:  # shapes are few; never let them grow without bound
            _LIST_STATEMENTS.clear()
        statements = _LIST_STATEMENTS[shape] = _build_list_statements(shape, order_by)
    return statements


def _build_list_statements(
    shape: _ListShape, order_by: Sequence[Any]
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    given = set(shape.given)
    conditions = [minor_scope_template(shape.scope, ManagingUnit.path, Minor.school_id)]
    # What the per-unit counters can answer; with any other filter the rows are counted.
    counted = [minor_scope_template(shape.scope, ManagingUnit.path, None)]
    if "status" in given:
        conditions.append(Minor.status == sa.bindparam("status"))
        counted.append(MinorCount.status == sa.bindparam("status"))
    if "within" in given:
        in_anchor = in_subtree_template(ManagingUnit.path, "within")
        conditions.append(in_anchor)
        counted.append(in_anchor)
    if "risk_level" in given:
        conditions.append(Minor.risk_level == sa.bindparam("risk_level"))
    if "schooling_status" in given:
        conditions.append(Minor.schooling_status == sa.bindparam("schooling_status"))
    if "school_id" in given:
        conditions.append(Minor.school_id == sa.bindparam("school_id"))
    if shape.category:
        if shape.category in privacy.SENSITIVE_RISK_CATEGORIES:
            # A sealed minor's sensitive facts must not leak through a filter either.
            conditions.append(Minor.is_sealed.is_(False))
        conditions.append(JsonArrayContains(Minor.risk_categories, shape.category))
    if shape.substance:
        conditions += [Minor.is_sealed.is_(False), JsonArrayContains(Minor.substances, shape.substance)]
    if "age_min" in given:
        conditions.append(Minor.birth_date <= sa.bindparam("born_by"))
    if "age_max" in given:
        conditions.append(Minor.birth_date >= sa.bindparam("born_from"))
    if "turns_18_within_days" in given:
        conditions.append(Minor.birth_date.between(sa.bindparam("adult_from"), sa.bindparam("adult_by")))
    if "q" in given:
        conditions.append(Minor.name.like(sa.bindparam("name_pattern"), escape=_LIKE_ESCAPE))
    statement = MINOR_SELECT.where(*conditions)
    total_statement = None
    # School staff reach minors by school, not by managing unit: their totals are always counted row by row.
    if given <= _FILTERS_COUNTED_BY_UNIT and shape.scope != "school":
        total_statement = (
            sa.select(sa.func.coalesce(sa.func.sum(MinorCount.n), 0))
            .join(ManagingUnit, ManagingUnit.id == MinorCount.managing_unit_id)
            .where(*counted)
        )
    return page_statements(statement, order_by, total_statement)


_FILTERS_COUNTED_BY_UNIT = frozenset({"status", "within"})


_LIKE_ESCAPE = "/"


def _escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern: its wildcards and the escape character escaped."""
    for character in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(character, _LIKE_ESCAPE + character)
    return text


def _require_sensitive(shape: privacy.Shape, parameter: str) -> None:
    if shape.of("substances") is not privacy.Visibility.full:
        raise Forbidden(f"Filtering by {parameter} needs access to drug-use facts.")
