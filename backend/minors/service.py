"""The registry of at-risk minors. Every read goes through ``present``, which applies the privacy policy."""

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.responsibility import is_responsible
from backend.db import JsonArrayContains, local_midnight_utc, local_today, utcnow
from backend.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed
from backend.etag import check_if_match
from backend.identity import IdNumberError, age_on, parse_mainland_id
from backend.minors.models import (
    DisclosureCount,
    DisclosureKind,
    IdDocumentType,
    Minor,
    MinorCount,
    MinorSource,
    MinorStatus,
    RiskCategory,
    RiskLevel,
)
from backend.minors.schemas import (
    GuardianIn,
    MinorCreate,
    MinorLookup,
    MinorPolicy,
    MinorRead,
    MinorUpdate,
)
from backend.pagination import Page, PageParams, page_statements, run_page
from backend.security import privacy
from backend.security.crypto import FieldCipher
from backend.security.masking import mask_id_number, mask_name, mask_phone
from backend.security.principals import (
    Principal,
    in_subtree,
    in_subtree_template,
    minor_scope,
    minor_scope_template,
    parent_path,
    subtree_parameters,
    within_minor_scope,
)
from backend.security.roles import Role
from backend.units.models import Unit, UnitKind

ManagingUnit = aliased(Unit, name="managing_unit")
School = aliased(Unit, name="school")

# Kinds of unit that manage minors (a township station, a community, the county office itself).
MANAGING_KINDS = frozenset({UnitKind.township, UnitKind.community, UnitKind.county_office})
# Who edits a registered minor; schools and police register, stations keep the record.
EDITOR_ROLES = frozenset({Role.caseworker, Role.supervisor})

# No sort by birth date: the list masks it for everyone, and an order of birth dates beside records whose
# dates one knows would narrow the others down (docs/privacy.md, "Inference").
SORT_FIELDS = {
    "created_at": Minor.created_at,
    "updated_at": Minor.updated_at,
    "risk_level": Minor.risk_level,
    "status": Minor.status,
}

# Columns every read selects: no ORM objects on the hot path, and the masked forms are stored, so lists
# never decrypt.
_COLUMNS = (
    Minor.id,
    Minor.version,
    Minor.name,
    Minor.id_document_type,
    Minor.id_number_masked,
    Minor.id_number_ciphertext,
    Minor.gender,
    Minor.birth_date,
    Minor.phone_masked,
    Minor.phone_ciphertext,
    Minor.guardians,
    Minor.household_division_code,
    Minor.household_area,
    Minor.household_address,
    Minor.residence_division_code,
    Minor.residence_area,
    Minor.residence_address,
    Minor.school_id,
    Minor.grade,
    Minor.schooling_status,
    Minor.risk_categories,
    Minor.substances,
    Minor.risk_level,
    Minor.managing_unit_id,
    Minor.status,
    Minor.is_sealed,
    Minor.source,
    Minor.created_at,
    Minor.updated_at,
    ManagingUnit.name.label("managing_unit_name"),
    ManagingUnit.kind.label("managing_unit_kind"),
    # A scalar subquery rather than a join: evaluated for the page's rows only, after the limit.
    sa.select(School.name).where(School.id == Minor.school_id).scalar_subquery().label("school_name"),
)


# Built once: statements are immutable, and putting 32 columns together is a good part of a list's time.
_SELECT = sa.select(*_COLUMNS).join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)


def _scoped_select(principal: Principal) -> sa.Select[Any]:
    return _SELECT.where(within_minor_scope(principal, ManagingUnit.path, Minor.school_id))


def shape_minor(
    row: Any,
    *,
    principal: Principal,
    view: privacy.View,
    cipher: FieldCipher,
    today: date,
    responsible: bool = False,
) -> dict[str, Any]:
    """Shape one minor for one principal: the single place where a minor becomes output. The fields of a
    ``MinorRead`` as plain values; what the policy hides (or masks without a masked form) is absent."""
    values = _values(row)
    sealed = values["is_sealed"]
    shape = privacy.shape_for(principal, view=view, responsible=responsible, sealed=sealed)
    data = _reading(shape).read(values, cipher)
    birth_date = values["birth_date"]
    age = age_on(birth_date, today)
    turns_18_on = _eighteenth_birthday(birth_date)
    data.update(
        age=age,
        turns_18_soon=today < turns_18_on <= today + timedelta(days=privacy.TURNS_18_SOON_DAYS),
        aged_out_candidate=age >= 18 and values["status"] == MinorStatus.active,
        masked_fields=shape.masked_fields,
        hidden_fields=shape.hidden_fields,
        revealable_fields=sorted(privacy.revealable_fields(principal, sealed=sealed) - shape.full_fields),
    )
    if shape.of("turns_18_on") is privacy.Visibility.full:
        data["turns_18_on"] = turns_18_on
    return data


def present(row: Any, **shaping: Any) -> MinorRead:
    """``shape_minor`` (same arguments) as a ``MinorRead``: every answer but a list's page, which is
    serialised directly."""
    return MinorRead(**shape_minor(row, **shaping))


def _values(row: sa.Row[Any]) -> Mapping[str, Any]:
    """A row's columns by name. Read by key, not as attributes: a ``Row``'s attribute access first fails
    (building an AttributeError's message) and then looks the key up — a tenth of a page of 50 minors."""
    return row._mapping


Reader = Callable[[Mapping[str, Any], FieldCipher], Any]


# The masked form of each identity field that has one (a birth date has none: the age stands for it).
_MASKED_READERS: dict[str, Reader] = {
    "name": lambda row, _cipher: mask_name(row["name"]),
    "id_number": lambda row, _cipher: row["id_number_masked"],
    "phone": lambda row, _cipher: row["phone_masked"],
    "guardians": lambda row, cipher: [_guardian(entry, cipher, reveal=False) for entry in row["guardians"]],
    "household_address": lambda row, _cipher: row["household_area"],
    "residence_address": lambda row, _cipher: row["residence_area"],
}


@dataclass(frozen=True)
class _Reading:
    """What ``shape_minor`` reads for one shape: the columns shown as they are, and a reader for each field that
    is masked or derived."""

    columns: tuple[str, ...]
    readers: tuple[tuple[str, Reader], ...]

    def read(self, values: Mapping[str, Any], cipher: FieldCipher) -> dict[str, Any]:
        data = {column: values[column] for column in self.columns}
        for field, read in self.readers:
            data[field] = read(values, cipher)
        return data


@cache
def _reading(shape: privacy.Shape) -> _Reading:
    """Worked out once per shape (shapes are few and shared), not once per field of every row of a list."""
    full, masked = privacy.Visibility.full, privacy.Visibility.masked
    columns: list[str] = []
    readers: dict[str, Reader] = {}
    for field, rule in privacy.MINOR_FIELDS.items():
        seen = shape.of(field)
        if rule.derived or field == "sensitive_risk_categories":
            continue  # derived ones are computed by shape_minor; sensitive categories join risk_categories
        if seen is full and field in _DERIVED_FULL_VALUES:
            readers[field] = _DERIVED_FULL_VALUES[field]
        elif seen is full:
            columns.append(field)
        elif seen is masked and field in _MASKED_READERS:
            readers[field] = _MASKED_READERS[field]
    if shape.of("sensitive_risk_categories") is full and "risk_categories" in readers:
        readers["risk_categories"] = lambda row, _cipher: list(row["risk_categories"])
    return _Reading(tuple(columns), tuple(readers.items()))


# Nested values are plain dicts: a list's page writes them as they are, and MinorRead's validation makes them
# models in pydantic's core for every other answer, cheaper than building each model in Python first.
def _guardian(entry: dict[str, Any], cipher: FieldCipher, *, reveal: bool) -> dict[str, Any]:
    if reveal:
        phone = (
            cipher.decrypt(entry["phone_ciphertext"], context="guardian.phone")
            if entry.get("phone_ciphertext")
            else None
        )
        return {"relation": entry["relation"], "name": entry["name"], "phone": phone}
    return {
        "relation": entry["relation"],
        "name": mask_name(entry["name"]),
        "phone": entry.get("phone_masked"),
    }


# The full value of each field that is more than its column; every other field's full value is its column.
_DERIVED_FULL_VALUES: dict[str, Reader] = {
    "id_number": lambda row, cipher: cipher.decrypt(row["id_number_ciphertext"], context="minor.id_number"),
    "phone": lambda row, cipher: (
        cipher.decrypt(row["phone_ciphertext"], context="minor.phone") if row["phone_ciphertext"] else None
    ),
    "guardians": lambda row, cipher: [_guardian(entry, cipher, reveal=True) for entry in row["guardians"]],
    "sensitive_risk_categories": lambda row, _cipher: [
        code for code in row["risk_categories"] if code in privacy.SENSITIVE_RISK_CATEGORIES
    ],
    # The general part: what a school may see.
    "risk_categories": lambda row, _cipher: [
        code for code in row["risk_categories"] if code not in privacy.SENSITIVE_RISK_CATEGORIES
    ],
    "school": lambda row, _cipher: (
        {"id": row["school_id"], "name": row["school_name"], "kind": UnitKind.school}
        if row["school_id"]
        else None
    ),
    "managing_unit": lambda row, _cipher: {
        "id": row["managing_unit_id"],
        "name": row["managing_unit_name"],
        "kind": row["managing_unit_kind"],
    },
}


def full_value(row: sa.Row[Any], field: str, cipher: FieldCipher) -> Any:
    """The unmasked value of an identity or sensitive field: for the detail view where the policy allows it,
    and for a reveal."""
    values = _values(row)
    derived = _DERIVED_FULL_VALUES.get(field)
    return derived(values, cipher) if derived else values[field]


def _eighteenth_birthday(birth: date) -> date:
    try:
        return birth.replace(year=birth.year + 18)
    except ValueError:  # born on 29 February
        return date(birth.year + 18, 3, 1)


def _birth_date_bounds_for_age(age: int, today: date) -> tuple[date, date]:
    """Birth dates of people who are ``age`` years old today: (earliest, latest), inclusive."""
    latest = _shift_years(today, -age)
    earliest = _shift_years(today, -(age + 1)) + timedelta(days=1)
    return earliest, latest


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def adult_condition(today: date) -> sa.ColumnElement[bool]:
    """Minors who are 18 or older today: to be closed or handed over."""
    return Minor.birth_date <= _shift_years(today, -18)


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
    cipher: FieldCipher,
) -> Page[dict[str, Any]]:
    """Minors in scope, masked for everyone (the list view of the policy), shaped as plain values.

    The statements are built once for each combination of scope kind, filters given and order
    (``_list_statements``); this request's values are their parameters."""
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
        parameters["adult_from"] = _shift_years(today, -18) + timedelta(days=1)
        parameters["adult_by"] = _shift_years(today + timedelta(days=filters.turns_18_within_days), -18)
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
    statement = _SELECT.where(*conditions)
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


def policy_for(principal: Principal) -> MinorPolicy:
    """What the policy lets this principal see and do with minors, field by field (unsealed records)."""
    shapes = {
        view: privacy.shape_for(principal, view=view, responsible=False, sealed=False)
        for view in privacy.View
    }
    return MinorPolicy(
        list_fields={field: seen.value for field, seen in shapes[privacy.View.list].visibility.items()},
        detail_fields={field: seen.value for field, seen in shapes[privacy.View.detail].visibility.items()},
        revealable_fields=sorted(privacy.revealable_fields(principal, sealed=False)),
        may_search_names=principal.role in privacy.REVEAL_IDENTITY_ROLES,
        may_filter_sensitive=shapes[privacy.View.list].of("substances") is privacy.Visibility.full,
        sensitive_risk_categories=sorted(RiskCategory(code) for code in privacy.SENSITIVE_RISK_CATEGORIES),
        may_edit=principal.role in EDITOR_ROLES,
        may_change_status=principal.role is Role.supervisor,
    )


def _require_sensitive(shape: privacy.Shape, parameter: str) -> None:
    if shape.of("substances") is not privacy.Visibility.full:
        raise Forbidden(f"Filtering by {parameter} needs access to drug-use facts.")


async def _row_in_scope(session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID) -> Any:
    row = (await session.execute(_scoped_select(principal).where(Minor.id == minor_id))).first()
    if row is None:
        raise NotFound("No such minor.")
    return row


async def get_in_scope(session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID) -> Minor:
    """The minor as a table row, if in the principal's scope; otherwise 404."""
    minor = await session.scalar(
        sa.select(Minor)
        .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
        .where(Minor.id == minor_id, within_minor_scope(principal, ManagingUnit.path, Minor.school_id))
    )
    if minor is None:
        raise NotFound("No such minor.")
    return minor


async def read_minor(
    session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID, cipher: FieldCipher
) -> MinorRead:
    """The detail view; every read is an audit event."""
    row = await _row_in_scope(session, principal=principal, minor_id=minor_id)
    # A caseworker named responsible on the minor's open care file, in an assignment a lead made or
    # confirmed, sees the identity in the detail view (an event of its own kind); everyone else goes through
    # a reveal with a reason.
    responsible = await is_responsible(session, principal=principal, minor_id=row.id)
    await _record_detail_view(session, principal=principal, row=row, responsible=responsible)
    return present(
        row,
        principal=principal,
        view=privacy.View.detail,
        cipher=cipher,
        today=local_today(),
        responsible=responsible,
    )


async def _record_detail_view(
    session: AsyncSession, *, principal: Principal, row: Any, responsible: bool
) -> None:
    """Every detail read is an audit event; one that shows the full identity because the reader is
    responsible is a ``minor.identity_shown`` event naming the fields, kept durably like a reveal."""
    shape = privacy.shape_for(
        principal, view=privacy.View.detail, responsible=responsible, sealed=row.is_sealed
    )
    identity_shown = responsible and privacy.identity_shown_for_responsibility(shape)
    await audit.record(
        session,
        action=AuditAction.minor_identity_shown if identity_shown else AuditAction.minor_viewed,
        actor=principal,
        durable=identity_shown,
        unit_id=row.managing_unit_id,
        object_type="minor",
        object_id=row.id,
        fields=privacy.IDENTITY_FIELDS if identity_shown else None,
    )


def _parse_identity(minor_in: MinorCreate | MinorLookup) -> tuple[str, date | None, str | None]:
    """The normalised number, and the birth date and gender a mainland number encodes."""
    if minor_in.id_document_type is not IdDocumentType.mainland_id:
        return minor_in.id_number.upper(), None, None
    try:
        parsed = parse_mainland_id(minor_in.id_number, today=local_today())
    except IdNumberError as exc:
        raise ValidationFailed.field(["body", "id_number"], str(exc), exc.problem_type) from exc
    return parsed.number, parsed.birth_date, parsed.gender


def _lookup_hash(cipher: FieldCipher, document_type: str, number: str) -> str:
    return cipher.lookup_hash(number, context=f"id_number:{document_type}")


async def _area_name(session: AsyncSession, code: str | None) -> str | None:
    """The township (else county) an address lies in: what a masked address shows."""
    if not code:
        return None
    for candidate in (code[:9] + "000", code[:6] + "000000"):
        name = await session.scalar(
            sa.select(Unit.name).where(Unit.division_code == candidate).order_by(Unit.depth).limit(1)
        )
        if name:
            return name
    return None


def _sealed_guardians(guardians: list[GuardianIn], cipher: FieldCipher) -> list[dict[str, Any]]:
    return [
        {
            "relation": guardian.relation.value,
            "name": guardian.name,
            "phone_ciphertext": cipher.encrypt(guardian.phone, context="guardian.phone")
            if guardian.phone
            else None,
            "phone_masked": mask_phone(guardian.phone) if guardian.phone else None,
        }
        for guardian in guardians
    ]


async def _default_managing_unit(session: AsyncSession, principal: Principal) -> uuid.UUID:
    if principal.role in (Role.school_staff, Role.police):
        township = await session.scalar(
            sa.select(Unit.id).where(Unit.path == parent_path(principal.unit_path))
        )
        assert township is not None
        return township
    if principal.unit_kind in MANAGING_KINDS:
        return principal.unit_id
    raise ValidationFailed.field(
        ["body", "managing_unit_id"],
        "name the station that will manage the minor",
        "minor.managing_unit_required",
    )


async def _check_managing_unit(session: AsyncSession, principal: Principal, unit_id: uuid.UUID) -> None:
    scope_path = (
        parent_path(principal.unit_path)
        if principal.role in (Role.school_staff, Role.police)
        else principal.unit_path
    )
    unit = await session.scalar(sa.select(Unit).where(Unit.id == unit_id, in_subtree(Unit.path, scope_path)))
    if unit is None:
        raise ValidationFailed.field(
            ["body", "managing_unit_id"], "no such unit in your scope", "unit.not_found"
        )
    if UnitKind(unit.kind) not in MANAGING_KINDS or not unit.is_active:
        raise ValidationFailed.field(
            ["body", "managing_unit_id"],
            "must be an active township, community or county office",
            "unit.kind",
        )


async def _check_school(session: AsyncSession, school_id: uuid.UUID | None) -> None:
    if school_id is None:
        return
    kind = await session.scalar(sa.select(Unit.kind).where(Unit.id == school_id, Unit.is_active.is_(True)))
    if kind != UnitKind.school:
        raise ValidationFailed.field(["body", "school_id"], "no such school", "unit.not_school")


async def register(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_in: MinorCreate,
    cipher: FieldCipher,
    match_elsewhere_limit: int,
) -> Minor:
    """Register a minor: one person, one record. A duplicate in scope names the existing record; one
    managed elsewhere is said to exist and nothing more — and since that tells the caller the person is
    registered, it is an audit event and counts against a daily limit (``_record_match_elsewhere``)."""
    number, encoded_birth, encoded_gender = _parse_identity(minor_in)
    if encoded_gender and minor_in.gender and minor_in.gender != encoded_gender:
        raise ValidationFailed.field(
            ["body", "gender"], "does not agree with the ID number", "id_number.gender_mismatch"
        )
    if encoded_birth and minor_in.birth_date and minor_in.birth_date != encoded_birth:
        raise ValidationFailed.field(
            ["body", "birth_date"], "does not agree with the ID number", "id_number.birth_date_mismatch"
        )
    birth_date = encoded_birth or minor_in.birth_date
    gender = encoded_gender or minor_in.gender
    assert birth_date is not None
    assert gender is not None
    if age_on(birth_date, local_today()) >= 18:
        raise ValidationFailed.field(
            ["body", "id_number"], "the person is 18 or older, not a minor", "minor.adult"
        )

    lookup_hash = _lookup_hash(cipher, minor_in.id_document_type, number)
    await _check_matches_elsewhere_left(session, principal=principal, limit=match_elsewhere_limit)
    existing = (
        await session.execute(
            sa.select(Minor.id, Minor.managing_unit_id).where(Minor.id_number_hash == lookup_hash)
        )
    ).first()
    if existing is not None:
        in_scope = await session.scalar(
            sa.select(Minor.id)
            .join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)
            .where(Minor.id == existing.id, within_minor_scope(principal, ManagingUnit.path, Minor.school_id))
        )
        if in_scope:
            raise Conflict("This person is already registered.", extra={"existing_id": str(existing.id)})
        await _record_match_elsewhere(
            session,
            principal=principal,
            managing_unit_id=existing.managing_unit_id,
            limit=match_elsewhere_limit,
        )

    school_id = principal.unit_id if principal.role is Role.school_staff else minor_in.school_id
    await _check_school(session, school_id)
    managing_unit_id = minor_in.managing_unit_id or await _default_managing_unit(session, principal)
    await _check_managing_unit(session, principal, managing_unit_id)
    default_source = {Role.school_staff: MinorSource.school_report, Role.police: MinorSource.seizure_notice}
    minor = await insert_record(
        session,
        actor=principal,
        minor_in=minor_in,
        number=number,
        birth_date=birth_date,
        gender=gender,
        lookup_hash=lookup_hash,
        school_id=school_id,
        managing_unit_id=managing_unit_id,
        source=minor_in.source or default_source.get(principal.role, MinorSource.screening),  # type: ignore[arg-type]
        cipher=cipher,
    )
    if set(minor.risk_categories) & privacy.SENSITIVE_RISK_CATEGORIES:
        # Imported here: care files build on the registry, and the registry only calls into them here.
        from backend.care_files.models import CareTrigger
        from backend.care_files.service import open_or_reopen_file

        await open_or_reopen_file(
            session,
            minor_id=minor.id,
            unit_id=managing_unit_id,
            trigger=CareTrigger.registration,
            actor=principal,
        )
    return minor


async def _check_matches_elsewhere_left(session: AsyncSession, *, principal: Principal, limit: int) -> None:
    """Once a person has had today's number of "managed by another unit" answers, every registration waits
    until tomorrow: refusing only the matches would answer the same question by another status."""
    used = await session.scalar(
        sa.select(DisclosureCount.used).where(
            DisclosureCount.principal_id == principal.id,
            DisclosureCount.day == local_today(),
            DisclosureCount.kind == DisclosureKind.match_elsewhere,
        )
    )
    if (used or 0) >= limit:
        raise _limit_reached(
            f"{limit} registrations today matched minors managed by other units, the daily limit; "
            "registering is paused"
        )


async def _record_match_elsewhere(
    session: AsyncSession, *, principal: Principal, managing_unit_id: uuid.UUID, limit: int
) -> None:
    """Answer "managed by another unit": recorded for that unit's trail (who asked, never the record) and
    counted; kept although the answer is an error."""
    if (
        await spend_disclosure(session, principal=principal, kind=DisclosureKind.match_elsewhere, limit=limit)
        is None
    ):
        raise _limit_reached(
            f"{limit} registrations today matched minors managed by other units, the daily limit; "
            "registering is paused"
        )
    await audit.record(
        session, action=AuditAction.minor_duplicate_probe, actor=principal, unit_id=managing_unit_id
    )
    raise Conflict("This person is managed by another unit; a transfer can be requested.", keep_changes=True)


async def insert_record(
    session: AsyncSession,
    *,
    actor: Principal | None,
    minor_in: MinorCreate,
    number: str,
    birth_date: date,
    gender: str,
    lookup_hash: str,
    school_id: uuid.UUID | None,
    managing_unit_id: uuid.UUID,
    source: MinorSource,
    cipher: FieldCipher,
) -> Minor:
    """Store a checked registration: encrypt, mask, locate, audit. ``actor`` None is the command line."""
    minor = Minor(
        name=minor_in.name,
        id_document_type=minor_in.id_document_type,
        id_number_ciphertext=cipher.encrypt(number, context="minor.id_number"),
        id_number_hash=lookup_hash,
        id_number_masked=mask_id_number(number),
        gender=gender,
        birth_date=birth_date,
        phone_ciphertext=cipher.encrypt(minor_in.phone, context="minor.phone") if minor_in.phone else None,
        phone_masked=mask_phone(minor_in.phone) if minor_in.phone else None,
        guardians=_sealed_guardians(minor_in.guardians, cipher),
        household_division_code=minor_in.household_division_code,
        household_area=await _area_name(session, minor_in.household_division_code),
        household_address=minor_in.household_address,
        residence_division_code=minor_in.residence_division_code,
        residence_area=await _area_name(session, minor_in.residence_division_code),
        residence_address=minor_in.residence_address,
        school_id=school_id,
        grade=minor_in.grade,
        schooling_status=minor_in.schooling_status,
        risk_categories=[code.value for code in minor_in.risk_categories],
        substances=[code.value for code in minor_in.substances],
        risk_level=minor_in.risk_level,
        managing_unit_id=managing_unit_id,
        status=MinorStatus.active,
        source=source,
        created_by=actor.id if actor else None,
    )
    session.add(minor)
    await session.flush()
    await audit.record(
        session,
        action=AuditAction.minor_created,
        actor=actor,
        unit_id=managing_unit_id,
        object_type="minor",
        object_id=minor.id,
    )
    return minor


async def update(
    session: AsyncSession,
    *,
    principal: Principal,
    minor: Minor,
    minor_in: MinorUpdate,
    if_match: str | None,
    cipher: FieldCipher,
) -> Minor:
    check_if_match(if_match, minor.version)
    if principal.role not in EDITOR_ROLES:
        raise Forbidden("Only the station's social workers and leads edit a registered minor.")
    changes = minor_in.model_dump(exclude_unset=True)
    if ({"status", "is_sealed"} & changes.keys()) and principal.role is not Role.supervisor:
        raise Forbidden("Only a lead changes the status or seals a record.")
    touches_sensitive = "substances" in changes or (
        "risk_categories" in changes
        and set(changes["risk_categories"] or [])
        ^ set(minor.risk_categories) & privacy.SENSITIVE_RISK_CATEGORIES
    )
    if minor.is_sealed and touches_sensitive and not privacy.can_reveal_sealed(principal):
        raise Forbidden("The record is sealed; its drug-use facts are changed only by a county-level lead.")
    for field in ("name", "household_address", "residence_address", "grade"):
        if field in changes:
            setattr(minor, field, changes[field])
    for field in ("schooling_status", "risk_level", "status", "is_sealed"):
        if changes.get(field) is not None:
            setattr(minor, field, changes[field])
    if "phone" in changes:
        phone = minor_in.phone
        minor.phone_ciphertext = cipher.encrypt(phone, context="minor.phone") if phone else None
        minor.phone_masked = mask_phone(phone) if phone else None
    if minor_in.guardians is not None:
        minor.guardians = _sealed_guardians(minor_in.guardians, cipher)
    for prefix in ("household", "residence"):
        if f"{prefix}_division_code" in changes:
            code = changes[f"{prefix}_division_code"]
            setattr(minor, f"{prefix}_division_code", code)
            setattr(minor, f"{prefix}_area", await _area_name(session, code))
    if "school_id" in changes:
        await _check_school(session, minor_in.school_id)
        minor.school_id = minor_in.school_id
    if minor_in.risk_categories is not None:
        minor.risk_categories = [code.value for code in minor_in.risk_categories]
    if minor_in.substances is not None:
        minor.substances = [code.value for code in minor_in.substances]
    if session.is_modified(minor):
        await _record_change(session, minor, actor=principal, fields=sorted(changes))
    await session.flush()
    return minor


async def _record_change(
    session: AsyncSession,
    minor: Minor,
    *,
    actor: Principal | None,
    fields: list[str],
    reason: str | None = None,
) -> None:
    """Every change of a minor, whoever makes it: a new version (ETag) and an audit event naming the fields."""
    minor.version += 1
    minor.updated_at = utcnow()
    await audit.record(
        session,
        action=AuditAction.minor_updated,
        actor=actor,
        unit_id=minor.managing_unit_id,
        object_type="minor",
        object_id=minor.id,
        fields=fields,
        reason=reason,
    )


async def present_related(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_ids: list[uuid.UUID],
    cipher: FieldCipher,
    view: privacy.View = privacy.View.list,
    responsible_ids: frozenset[uuid.UUID] = frozenset(),
) -> dict[uuid.UUID, MinorRead]:
    """The minors named by records the caller has already been found to reach (a care file in scope, a
    transfer in either unit's box), shaped by the same policy. No scope test here: the record was the test.
    A detail view that shows a responsible caseworker the full identity records it (``_record_detail_view``)."""
    if not minor_ids:
        return {}
    statement = _SELECT.where(Minor.id.in_(set(minor_ids)))
    today = local_today()
    shown = {}
    for row in (await session.execute(statement)).all():
        responsible = row.id in responsible_ids
        if view is privacy.View.detail and responsible:
            await _record_detail_view(session, principal=principal, row=row, responsible=True)
        shown[row.id] = present(
            row, principal=principal, view=view, cipher=cipher, today=today, responsible=responsible
        )
    return shown


async def get_by_id(session: AsyncSession, minor_id: uuid.UUID) -> Minor:
    """The minor as a table row, for other domains' services that have checked scope on their own record."""
    minor = await session.get(Minor, minor_id)
    if minor is None:
        raise NotFound("No such minor.")
    return minor


async def change_by_care_work(
    session: AsyncSession,
    *,
    minor: Minor,
    actor: Principal | None,
    risk_level: str | None = None,
    status: MinorStatus | None = None,
    managing_unit_id: uuid.UUID | None = None,
) -> None:
    """A change that follows from care work (a positive urine test, a closure, a transfer): versioned and
    audited like an edit."""
    fields = []
    if risk_level is not None and risk_level != minor.risk_level:
        minor.risk_level = risk_level  # type: ignore[assignment]
        fields.append("risk_level")
    if status is not None and status != minor.status:
        minor.status = status
        fields.append("status")
    if managing_unit_id is not None and managing_unit_id != minor.managing_unit_id:
        minor.managing_unit_id = managing_unit_id
        fields.append("managing_unit")
    if not fields:
        return
    await _record_change(session, minor, actor=actor, fields=fields)
    await session.flush()


async def present_one(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_id: uuid.UUID,
    cipher: FieldCipher,
    view: privacy.View,
) -> MinorRead:
    row = await _row_in_scope(session, principal=principal, minor_id=minor_id)
    return present(row, principal=principal, view=view, cipher=cipher, today=local_today())


async def lookup(
    session: AsyncSession, *, principal: Principal, lookup_in: MinorLookup, cipher: FieldCipher
) -> MinorRead:
    """Exact match by document number, within scope; the search is audited, the number never recorded."""
    number, _birth, _gender = _parse_identity(lookup_in)
    lookup_hash = _lookup_hash(cipher, lookup_in.id_document_type, number)
    row = (
        await session.execute(_scoped_select(principal).where(Minor.id_number_hash == lookup_hash))
    ).first()
    await audit.record(
        session,
        action=AuditAction.minor_looked_up,
        actor=principal,
        durable=False,
        unit_id=row.managing_unit_id if row else None,
        object_type="minor",
        object_id=row.id if row else None,
    )
    if row is None:
        raise NotFound("No minor with this number in your scope.", keep_changes=True)
    return present(row, principal=principal, view=privacy.View.list, cipher=cipher, today=local_today())


async def reveal(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_id: uuid.UUID,
    reason: str,
    fields: list[str],
    cipher: FieldCipher,
    daily_limit: int,
) -> tuple[dict[str, Any], int]:
    """Break the glass: full values of the fields asked for, with a reason, counted and audited."""
    row = await _row_in_scope(session, principal=principal, minor_id=minor_id)
    allowed = privacy.revealable_fields(principal, sealed=row.is_sealed)
    if not allowed:
        raise Forbidden("Your role may not reveal identities.")
    unknown = sorted(set(fields) - set(privacy.MINOR_FIELDS))
    refused = sorted(set(fields) - allowed - set(unknown))
    if unknown or refused:
        problem = "unknown field" if unknown else "not revealable for you"
        raise ValidationFailed.field(
            ["body", "fields"], f"{problem}: {', '.join(unknown or refused)}", "reveal.field_not_allowed"
        )
    used = await spend_disclosure(session, principal=principal, kind=DisclosureKind.reveal, limit=daily_limit)
    if used is None:
        raise _limit_reached(f"You have revealed {daily_limit} records today, the daily limit")
    values = {field: full_value(row, field, cipher) for field in fields}
    await audit.record(
        session,
        action=AuditAction.minor_revealed,
        actor=principal,
        unit_id=row.managing_unit_id,
        object_type="minor",
        object_id=row.id,
        fields=fields,
        reason=reason,
    )
    return values, daily_limit - used


async def spend_disclosure(
    session: AsyncSession, *, principal: Principal, kind: DisclosureKind, limit: int
) -> int | None:
    """Count one more disclosure of this kind today for this person, unless that would pass ``limit``: the
    number used with this one, or None at the limit. One upsert whose update refuses to pass the limit: the
    database serialises concurrent requests on the counter's row, so 40 parallel reveals with a limit of 20
    give exactly 20 (a count of today's events followed by an insert let most of them through)."""
    table: sa.Table = DisclosureCount.__table__  # type: ignore[attr-defined]
    dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(table)
        .values(principal_id=principal.id, day=local_today(), kind=kind.value, used=1)
        .on_conflict_do_update(
            index_elements=[table.c.principal_id, table.c.day, table.c.kind],
            set_={"used": table.c.used + 1},
            where=table.c.used < limit,
        )
        .returning(table.c.used)
    )
    return await session.scalar(statement)


def _limit_reached(what: str) -> TooManyRequests:
    today = local_today()
    seconds = math.ceil((local_midnight_utc(today + timedelta(days=1)) - utcnow()).total_seconds())
    return TooManyRequests(f"{what}; it resets at midnight.", headers={"Retry-After": str(max(seconds, 1))})


async def reencrypt_all(session: AsyncSession, *, cipher: FieldCipher, batch: int = 500) -> int:
    """Re-encrypt every number and phone still under an older key, and recompute look-up hashes with the
    current look-up key. Returns how many records changed. Run by ``qinghu rotate-keys``."""
    changed, last_id = 0, None
    while True:
        statement = sa.select(Minor).order_by(Minor.id).limit(batch)
        if last_id is not None:
            statement = statement.where(Minor.id > last_id)
        minors = (await session.scalars(statement)).all()
        if not minors:
            return changed
        for minor in minors:
            number = cipher.decrypt(minor.id_number_ciphertext, context="minor.id_number")
            if cipher.key_id_of(minor.id_number_ciphertext) != cipher.current_key_id:
                minor.id_number_ciphertext = cipher.encrypt(number, context="minor.id_number")
            minor.id_number_hash = _lookup_hash(cipher, minor.id_document_type, number)
            if minor.phone_ciphertext and cipher.key_id_of(minor.phone_ciphertext) != cipher.current_key_id:
                phone = cipher.decrypt(minor.phone_ciphertext, context="minor.phone")
                minor.phone_ciphertext = cipher.encrypt(phone, context="minor.phone")
            stale = [
                entry
                for entry in minor.guardians
                if entry.get("phone_ciphertext")
                and cipher.key_id_of(entry["phone_ciphertext"]) != cipher.current_key_id
            ]
            if stale:
                minor.guardians = [
                    {
                        **entry,
                        "phone_ciphertext": cipher.encrypt(
                            cipher.decrypt(entry["phone_ciphertext"], context="guardian.phone"),
                            context="guardian.phone",
                        ),
                    }
                    if entry in stale
                    else entry
                    for entry in minor.guardians
                ]
            if session.is_modified(minor):
                changed += 1
            last_id = minor.id
        await session.flush()
        session.expunge_all()


# What other domains need of a minor: matching by number, the seizure facts, and the masked identity that
# any list may show. They reach minors through these functions, never through the table.


def mainland_lookup_hash(cipher: FieldCipher, number: str) -> str:
    """The keyed hash a (normalised) mainland ID number is found by."""
    return _lookup_hash(cipher, IdDocumentType.mainland_id, number)


async def find_by_lookup_hash(session: AsyncSession, *, lookup_hash: str) -> Minor | None:
    """The one record of this person, wherever it is managed (for matching, not for showing)."""
    return await session.scalar(sa.select(Minor).where(Minor.id_number_hash == lookup_hash))


async def school_named(session: AsyncSession, name: str | None) -> uuid.UUID | None:
    """An active school with exactly this name, if there is one."""
    if not name:
        return None
    return await session.scalar(
        sa.select(Unit.id).where(Unit.name == name, Unit.kind == UnitKind.school, Unit.is_active.is_(True))
    )


_RISK_ORDER = (RiskLevel.low, RiskLevel.medium, RiskLevel.high)


def raised_risk(level: str) -> RiskLevel:
    """One step up the risk scale (a new seizure raises it), never above high."""
    position = _RISK_ORDER.index(RiskLevel(level))
    return _RISK_ORDER[min(position + 1, len(_RISK_ORDER) - 1)]


async def record_seizure(
    session: AsyncSession, *, minor: Minor, substances: list[str], actor: Principal
) -> None:
    """A new seizure of a registered minor: seized for drug use, the substances added, the risk raised."""
    minor.risk_categories = list(dict.fromkeys([*minor.risk_categories, RiskCategory.seized_drug_use.value]))
    minor.substances = list(dict.fromkeys([*minor.substances, *substances]))
    minor.risk_level = raised_risk(minor.risk_level)
    await _record_change(
        session,
        minor,
        actor=actor,
        fields=["risk_categories", "risk_level", "substances"],
        reason="seizure_notice",
    )
    await session.flush()


@dataclass(frozen=True)
class MaskedIdentity:
    """A minor as every list may show them: masked name and number, gender, birth date for the age."""

    name: str
    id_number: str
    gender: str
    birth_date: date
    is_sealed: bool


async def masked_identities(
    session: AsyncSession, *, minor_ids: list[uuid.UUID]
) -> dict[uuid.UUID, MaskedIdentity]:
    """Masked identities of these minors in one query (the stored masked forms: nothing is decrypted)."""
    if not minor_ids:
        return {}
    rows = await session.execute(
        sa.select(
            Minor.id, Minor.name, Minor.id_number_masked, Minor.gender, Minor.birth_date, Minor.is_sealed
        ).where(Minor.id.in_(set(minor_ids)))
    )
    return {
        row.id: MaskedIdentity(
            mask_name(row.name), row.id_number_masked, row.gender, row.birth_date, row.is_sealed
        )
        for row in rows
    }
