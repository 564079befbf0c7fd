"""The registry's list: its filters, declared once, and its statements, built once per shape."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from backend.db import AnySelect, JsonArrayContains, local_today
from backend.errors import Forbidden, ValidationFailed
from backend.identity import shift_years
from backend.messages import Text
from backend.minors.models import (
    Minor,
    MinorCount,
    MinorStatus,
    RiskCategory,
    RiskLevel,
    SchoolingStatus,
    Substance,
    VerificationStatus,
)
from backend.minors.service.presenting import MINOR_SELECT, ManagingUnit, shape_minor
from backend.pagination import Page, PageParams, SummaryQuery, flags, page_statements, run_page
from backend.security import privacy
from backend.security.crypto import cipher_of
from backend.security.principals import (
    Principal,
    in_subtree_template,
    minor_scope,
    minor_scope_template,
    subtree_parameters,
    subtrees_holding,
)
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


class MinorFilters(BaseModel):
    """The list's filters: the route reads them from the query (a FastAPI query-parameter model, checked on
    the event loop) and ``FILTERS`` says what each one does. A new filter is a field here and a row there."""

    model_config = ConfigDict(frozen=True)

    status: MinorStatus | None = None
    verification_status: Annotated[
        VerificationStatus | None,
        Field(
            description="provisional: registered without an ID number yet (待核实); merged records are never listed"
        ),
    ] = None
    risk_level: RiskLevel | None = None
    category: Annotated[RiskCategory | None, Field(description="Has this risk category")] = None
    substance: Annotated[
        Substance | None, Field(description="Involves this substance (roles that see drug-use facts)")
    ] = None
    within: Annotated[uuid.UUID | None, Field(description="Managed in this unit's subtree")] = None
    school_id: uuid.UUID | None = None
    schooling_status: SchoolingStatus | None = None
    age_min: Annotated[int | None, Field(ge=0, le=30)] = None
    age_max: Annotated[int | None, Field(ge=0, le=30)] = None
    turns_18_within_days: Annotated[
        privacy.Turns18Window | None,
        Field(description="Turns 18 within 90 or 365 days (no finer: the birth date is masked in lists)"),
    ] = None
    q: Annotated[
        str | None,
        Field(min_length=1, max_length=50, description="Name contains (roles that may see identities)"),
    ] = None


def _require_sensitive(name: str) -> Callable[[Principal, Any], None]:
    def check(principal: Principal, _value: Any) -> None:
        shape = privacy.shape_for(principal, view=privacy.View.list, responsible=False, sealed=False)
        if shape.of("substances") is not privacy.Visibility.full:
            raise Forbidden(Text("Filtering by {name} needs access to drug-use facts.", name=name))

    return check


def _require_sensitive_category(principal: Principal, code: Any) -> None:
    if code in privacy.SENSITIVE_RISK_CATEGORIES:
        _require_sensitive("category")(principal, code)


def _require_name_search(principal: Principal, _value: Any) -> None:
    if not privacy.may_search_names(principal):
        raise Forbidden("Searching by name needs a role that may see identities.")


def _param(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name, required=True)


@dataclass(frozen=True)
class ListFilter:
    """What one filter does. ``conditions`` are built once per shape of list and name their values as bind
    parameters, which ``values`` gives for a request (``value_in_statement``: the code itself goes into the
    statement instead — JSON containment; the codes are few). ``counted``: the condition on the per-unit
    counters when they can answer the total with this filter. ``allowed``: raises when the caller may not use
    it (a privacy rule)."""

    conditions: Callable[[Any], list[sa.ColumnElement[bool]]]
    values: Callable[[Any, date], dict[str, Any]] = lambda _value, _today: {}
    counted: Callable[[], sa.ColumnElement[bool]] | None = None
    value_in_statement: bool = False
    allowed: Callable[[Principal, Any], None] | None = None


def _equals(column: Any, name: str) -> ListFilter:
    return ListFilter(lambda _: [column == _param(name)], lambda value, _today: {name: value})


FILTERS: dict[str, ListFilter] = {
    "status": ListFilter(
        lambda _: [col(Minor.status) == _param("status")],
        lambda value, _today: {"status": value},
        counted=lambda: col(MinorCount.status) == _param("status"),
    ),
    # The value is the anchor unit's path, resolved within the caller's reach before the filter applies.
    "within": ListFilter(
        lambda _: [in_subtree_template(ManagingUnit.path, "within")],
        lambda path, _today: subtree_parameters("within", path),
        counted=lambda: in_subtree_template(ManagingUnit.path, "within"),
    ),
    "verification_status": _equals(Minor.verification_status, "verification_status"),
    "risk_level": _equals(Minor.risk_level, "risk_level"),
    "schooling_status": _equals(Minor.schooling_status, "schooling_status"),
    "school_id": _equals(Minor.school_id, "school_id"),
    # A sealed minor's drug-use facts must not leak through a filter either.
    "category": ListFilter(
        lambda code: [
            *([Minor.is_sealed.is_(False)] if code in privacy.SENSITIVE_RISK_CATEGORIES else []),
            JsonArrayContains(Minor.risk_categories, code),
        ],
        value_in_statement=True,
        allowed=_require_sensitive_category,
    ),
    "substance": ListFilter(
        lambda code: [Minor.is_sealed.is_(False), JsonArrayContains(Minor.substances, code)],
        value_in_statement=True,
        allowed=_require_sensitive("substance"),
    ),
    "age_min": ListFilter(
        lambda _: [Minor.birth_date <= _param("born_by")],
        lambda age, today: {"born_by": _birth_date_bounds_for_age(age, today)[1]},
    ),
    "age_max": ListFilter(
        lambda _: [Minor.birth_date >= _param("born_from")],
        lambda age, today: {"born_from": _birth_date_bounds_for_age(age, today)[0]},
    ),
    "turns_18_within_days": ListFilter(
        lambda _: [Minor.birth_date.between(_param("adult_from"), _param("adult_by"))],
        lambda days, today: {
            "adult_from": shift_years(today, -18) + timedelta(days=1),
            "adult_by": shift_years(today + timedelta(days=days), -18),
        },
    ),
    "q": ListFilter(
        lambda _: [Minor.name.like(_param("name_pattern"), escape=_LIKE_ESCAPE)],
        lambda text, _today: {"name_pattern": f"%{_escape_like(text)}%"},
        allowed=_require_name_search,
    ),
}


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
    scope = minor_scope(principal)
    given = {name: value for name, value in filters.model_dump().items() if value not in (None, "")}
    for name, value in given.items():
        check = FILTERS[name].allowed
        if check is not None:
            check(principal, value)
    if "within" in given:
        given["within"] = await _unit_path_within_reach(session, principal, given["within"])
    parameters = scope.parameters()
    for name, value in given.items():
        parameters.update(FILTERS[name].values(value, today))
    shape = _ListShape(
        scope.kind,
        tuple((name, value if FILTERS[name].value_in_statement else None) for name, value in given.items()),
        page.sort,
    )
    page_statement, total_statement = _list_statements(shape, page.order_by)
    return await run_page(
        session,
        page_statement,
        total_statement,
        page,
        lambda row: shape_minor(row, principal=principal, view=privacy.View.list, cipher=cipher, today=today),
        parameters,
    )


async def minor_query(
    session: AsyncSession, *, principal: Principal, lists: Mapping[str, MinorFilters]
) -> SummaryQuery | None:
    """The lists ``list_minors`` would answer with these filters, as one statement for the to-do centre (run with
    other domains' by ``run_summaries``): the same scope and conditions, the ids in the order of registration.
    Filters whose value names a bound parameter must agree between the lists."""
    if not lists:
        return None
    today = local_today()
    scope = minor_scope(principal)
    keys = tuple(lists)
    parameters = scope.parameters()
    wanted = []
    for key in keys:
        given = {name: value for name, value in lists[key].model_dump().items() if value not in (None, "")}
        for name, value in given.items():
            check = FILTERS[name].allowed
            if check is not None:
                check(principal, value)
        if "within" in given:
            given["within"] = await _unit_path_within_reach(session, principal, given["within"])
        for name, value in given.items():
            for parameter, bound in FILTERS[name].values(value, today).items():
                if parameters.setdefault(parameter, bound) != bound:
                    raise ValueError(f"two lists bind {parameter} differently")
        wanted.append(
            sa.and_(sa.true(), *(c for name, value in given.items() for c in FILTERS[name].conditions(value)))
        )
    rows = (
        sa.select(
            Minor.id.label("id"),
            Minor.created_at.label("created_at"),
            *flags(wanted),
        )
        .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
        .where(
            minor_scope_template(scope.kind, ManagingUnit.path, Minor.school_id),
            # As the list: a merged record is read by id only, never listed.
            col(Minor.status) != MinorStatus.merged,
            sa.or_(*wanted),
        )
        .params(parameters)
    )
    return SummaryQuery(keys=keys, parts=(rows,), order=("created_at", "id"))


async def minor_totals(
    session: AsyncSession, asks: Sequence[tuple[Principal, Mapping[str, MinorFilters]]]
) -> list[dict[str, int]]:
    """The totals ``list_minors`` would answer for many principals at once (the daily digests), set-based: the
    minors counted by every distinct list asked, grouped by managing unit and school, and each principal's totals
    the groups in its scope (``minor_scope``). Filters whose value names a bound parameter must agree between
    lists (a digest asks one list of the registry); ``within`` is not taken."""
    today = local_today()
    columns: dict[MinorFilters, int] = {}
    conditions: list[sa.ColumnElement[bool]] = []
    parameters: dict[str, Any] = {}
    for principal, lists in asks:
        for filters in lists.values():
            given = {name: value for name, value in filters.model_dump().items() if value not in (None, "")}
            for name, value in given.items():
                check = FILTERS[name].allowed
                if check is not None:
                    check(principal, value)
            if filters in columns:
                continue
            if "within" in given:
                raise ValueError("minor_totals counts whole scopes, without within")
            columns[filters] = len(columns)
            for name, value in given.items():
                for parameter, bound in FILTERS[name].values(value, today).items():
                    if parameters.setdefault(parameter, bound) != bound:
                        raise ValueError(f"two lists bind {parameter} differently")
            conditions.append(
                sa.and_(sa.true(), *(c for name, v in given.items() for c in FILTERS[name].conditions(v)))
            )
    rows: list[Any] = []
    if columns:
        rows = list(
            await session.execute(
                sa.select(
                    ManagingUnit.path,
                    Minor.school_id,
                    *(sa.func.sum(sa.case((condition, 1), else_=0)) for condition in conditions),
                )
                .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
                # As the list: a merged record is read by id only, never listed.
                .where(col(Minor.status) != MinorStatus.merged, sa.or_(*conditions))
                .group_by(ManagingUnit.path, Minor.school_id),
                parameters,
            )
        )
    by_scope: dict[tuple[str, str], list[int]] = {}
    for path, school_id, *counts in rows:
        keys = [("subtree", root) for root in subtrees_holding(path)]
        for key in keys + ([("school", str(school_id))] if school_id is not None else []):
            total = by_scope.setdefault(key, [0] * len(columns))
            for n, count in enumerate(counts):
                total[n] += count
    totals = []
    for principal, lists in asks:
        scope_key = minor_scope(principal).rollup_key()
        counted = by_scope.get(scope_key) if scope_key else None
        totals.append(
            {key: int(counted[columns[f]]) for key, f in lists.items() if counted and counted[columns[f]]}
        )
    return totals


async def _unit_path_within_reach(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> str:
    """The path of a unit in the principal's reach of minors (for police, the township they serve)."""
    reach = minor_scope(principal).path or principal.unit_path
    found = await session.scalar(
        _UNIT_PATH_IN_SUBTREE, {"unit_id": unit_id, **subtree_parameters("reach", reach)}
    )
    if found is not None:
        return found
    raise ValidationFailed.field(["query", "within"], "no such unit in your scope", "unit.not_found")


_UNIT_PATH_IN_SUBTREE = sa.select(Unit.path).where(
    Unit.id == sa.bindparam("unit_id"), in_subtree_template(Unit.path, "reach")
)


@dataclass(frozen=True)
class _ListShape:
    """What the text of a list's statements depends on: the scope's kind, the filters given (with the code of
    those whose value goes into the statement) and the order."""

    scope: str
    given: tuple[tuple[str, Any], ...]
    sort: str


_LIST_STATEMENTS: dict[_ListShape, tuple[AnySelect, AnySelect]] = {}


def _list_statements(shape: _ListShape, order_by: Sequence[Any]) -> tuple[AnySelect, AnySelect]:
    """The page and total statements for a list of this shape, built on first use and kept: a statement
    built anew costs its construction and its cache key on every request (a fifth of a list's time)."""
    statements = _LIST_STATEMENTS.get(shape)
    if statements is None:
        if len(_LIST_STATEMENTS) >= 1024:  # shapes are few; never let them grow without bound
            _LIST_STATEMENTS.clear()
        statements = _LIST_STATEMENTS[shape] = _build_list_statements(shape, order_by)
    return statements


def _build_list_statements(shape: _ListShape, order_by: Sequence[Any]) -> tuple[AnySelect, AnySelect]:
    # A merged record (a provisional one whose person was found registered) is read by id only, never listed.
    conditions = [
        minor_scope_template(shape.scope, ManagingUnit.path, Minor.school_id),
        col(Minor.status) != MinorStatus.merged,
    ]
    for name, value in shape.given:
        conditions += FILTERS[name].conditions(value)
    statement = MINOR_SELECT.where(*conditions)
    total_statement = None
    # The per-unit counters answer the total when every filter given can be counted by them — never for school
    # staff, who reach minors by school, not by managing unit.
    countable = [FILTERS[name].counted for name, _value in shape.given]
    if shape.scope != "school" and all(countable):
        counted = [
            minor_scope_template(shape.scope, ManagingUnit.path, None),
            col(MinorCount.status) != MinorStatus.merged,
        ]
        counted += [condition() for condition in countable if condition]
        total_statement = (
            sa.select(sa.func.coalesce(sa.func.sum(MinorCount.n), 0))
            .join(ManagingUnit, ManagingUnit.id == MinorCount.managing_unit_id)
            .where(*counted)
        )
    return page_statements(statement, order_by, total_statement)


_LIKE_ESCAPE = "/"


def _escape_like(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern: its wildcards and the escape character escaped."""
    for character in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(character, _LIKE_ESCAPE + character)
    return text
