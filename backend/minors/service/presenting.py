"""Minors as output: the one place where a minor becomes an answer, shaped by the privacy policy
(``security/privacy/``) — a list's row, a detail read (audited), a related minor on another domain's record."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.audit import service as audit
from backend.audit.models import AuditAction
from backend.care_files.models import OPEN_STATUSES, CareFile
from backend.db import AnySelect, JsonArrayContains, local_today
from backend.errors import NotFound
from backend.identity import age_on
from backend.minors.models import (
    Minor,
    MinorStatus,
    RiskCategory,
)
from backend.minors.schemas import (
    MinorPolicy,
    MinorRead,
)
from backend.security import permissions, privacy
from backend.security.crypto import FieldCipher, cipher_of
from backend.security.masking import mask_name
from backend.security.principals import (
    Principal,
    within_minor_scope,
)
from backend.units.models import Unit, UnitKind

ManagingUnit = aliased(Unit, name="managing_unit")


School = aliased(Unit, name="school")


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
    Minor.verification_status,
    Minor.birth_date_precision,
    Minor.found_by,
    Minor.merged_into_id,
    Minor.created_at,
    Minor.updated_at,
    ManagingUnit.name.label("managing_unit_name"),
    ManagingUnit.kind.label("managing_unit_kind"),
    # A scalar subquery rather than a join: evaluated for the page's rows only, after the limit.
    sa.select(School.name).where(School.id == Minor.school_id).scalar_subquery().label("school_name"),
)


# Built once: statements are immutable, and putting 32 columns together is a good part of a list's time.
MINOR_SELECT = sa.select(*_COLUMNS).join(ManagingUnit, ManagingUnit.id == Minor.managing_unit_id)


def scoped_select(principal: Principal) -> AnySelect:
    return MINOR_SELECT.where(within_minor_scope(principal, ManagingUnit.path, Minor.school_id))


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


def _values(row: sa.Row[Any]) -> sa.RowMapping:
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
    "id_number": lambda row, cipher: (
        cipher.decrypt(row["id_number_ciphertext"], context="minor.id_number")
        if row["id_number_ciphertext"]
        else None  # a provisional record has none yet
    ),
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
        may_search_names=privacy.may_search_names(principal),
        may_filter_sensitive=shapes[privacy.View.list].of("substances") is privacy.Visibility.full,
        sensitive_risk_categories=sorted(RiskCategory(code) for code in privacy.SENSITIVE_RISK_CATEGORIES),
        may_edit=permissions.may_edit_minors(principal),
        may_change_status=permissions.may_change_minor_status(principal),
    )


async def row_in_scope(session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID) -> Any:
    row = (await session.execute(scoped_select(principal).where(Minor.id == minor_id))).first()
    if row is None:
        raise NotFound("No such minor.")
    return row


async def is_responsible(session: AsyncSession, *, principal: Principal, minor_id: uuid.UUID) -> bool:
    """Whether the minor's open care file names this person among its responsible people in an assignment a
    lead made or confirmed: what the privacy policy's ``responsible`` means (read from the care files' table,
    which the registry may join)."""
    # Fails closed; machine clients are never granted minors:read, so every reader of a minor is a person.
    if not principal.is_user:  # pragma: no branch
        return False
    found = await session.scalar(
        sa.select(CareFile.id).where(
            CareFile.minor_id == minor_id,
            CareFile.status.in_(OPEN_STATUSES),
            JsonArrayContains(CareFile.confirmed_responsible_ids, str(principal.id)),
        )
    )
    return found is not None


async def read_minor(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_id: uuid.UUID,
) -> MinorRead:
    """The detail view; every read is an audit event."""
    cipher = cipher_of(session)
    row = await row_in_scope(session, principal=principal, minor_id=minor_id)
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


async def present_related(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_ids: list[uuid.UUID],
    view: privacy.View = privacy.View.list,
    responsible_ids: frozenset[uuid.UUID] = frozenset(),
) -> dict[uuid.UUID, MinorRead]:
    """The minors named by records the caller has already been found to reach (a care file in scope, a
    transfer in either unit's box), shaped by the same policy. No scope test here: the record was the test.
    A detail view that shows a responsible caseworker the full identity records it (``_record_detail_view``)."""
    cipher = cipher_of(session)
    if not minor_ids:
        return {}
    statement = MINOR_SELECT.where(Minor.id.in_(set(minor_ids)))
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


async def present_one(
    session: AsyncSession,
    *,
    principal: Principal,
    minor_id: uuid.UUID,
    view: privacy.View,
) -> MinorRead:
    cipher = cipher_of(session)
    row = await row_in_scope(session, principal=principal, minor_id=minor_id)
    return present(row, principal=principal, view=view, cipher=cipher, today=local_today())
