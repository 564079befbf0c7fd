"""The privacy policy's core: the field classes and how a reader sees them (``MATRIX``: role → class → list and
detail view), every field of a minor (``MINOR_FIELDS``) and a minor's shape for a reader (``shape_for``), what may
be revealed and who opens a sealed record, the shape of any other record by the same matrix (``record_shape``),
and which counts a reader's statistics may show. The other records' fields are in ``records``; both are read
through the package (``backend.security.privacy``)."""

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache, cached_property
from typing import Any

from backend.security.principals import Principal
from backend.security.roles import Role

# A minor whose list view masks the birth date gets this flag instead of the day they turn 18, and the list's
# "turns 18 within" filter offers only these windows: with the masked ID number's check digit, a window of
# 90 days still leaves about eight birth dates that fit (docs/privacy.md, "Inference").
TURNS_18_SOON_DAYS = 90


class Turns18Window(IntEnum):
    """The registry list's "turns 18 within N days" choices: none finer than ``TURNS_18_SOON_DAYS``."""

    within_90_days = 90
    within_365_days = 365


class FieldClass(StrEnum):
    identity = "identity"
    sensitive = "sensitive"
    general = "general"


class Visibility(StrEnum):
    full = "full"
    masked = "masked"
    hidden = "hidden"


class View(StrEnum):
    list = "list"
    detail = "detail"


@dataclass(frozen=True)
class Rule:
    """How one field of a record is classed. A derived field names what it is computed from and carries the
    class of the most sensitive of those, unless it is coarse enough to be general (an age in whole years);
    ``why`` says so for docs/privacy.md. ``sealable``: a seal hides it with the other sensitive facts
    (``is_sealed`` itself is not hidden by the seal it reports)."""

    field_class: FieldClass
    derived_from: tuple[str, ...] = ()
    sealable: bool = True
    why: str = ""

    @property
    def derived(self) -> bool:
        return bool(self.derived_from)


_IDENTITY, _SENSITIVE, _GENERAL = FieldClass.identity, FieldClass.sensitive, FieldClass.general


def _stored(field_class: FieldClass, why: str = "") -> Rule:
    return Rule(field_class, why=why)


def _derived(field_class: FieldClass, *sources: str, why: str, sealable: bool = True) -> Rule:
    return Rule(field_class, derived_from=sources, sealable=sealable, why=why)


# Every field of a minor the API can return, stored or derived, by class: the shaping code reads this table,
# and a test holds ``MinorRead`` to it (a field the response carries and this table does not class fails).
# Risk categories are split: the school-visible ones are general, the rest (drug use, serious misconduct,
# family drug use) are sensitive.
MINOR_FIELDS: dict[str, Rule] = {
    "id": _stored(_GENERAL),
    "version": _stored(_GENERAL),
    "name": _stored(_IDENTITY),
    "id_document_type": _stored(_GENERAL),
    "id_number": _stored(_IDENTITY),
    "gender": _stored(_GENERAL),
    "birth_date": _stored(_IDENTITY),
    "age": _derived(_GENERAL, "birth_date", why="whole years: stands for the birth date when it is masked"),
    "turns_18_on": _derived(
        _IDENTITY, "birth_date", why="a date computed from the birth date is the birth date"
    ),
    "turns_18_soon": _derived(
        _GENERAL,
        "birth_date",
        why=f"a flag over {TURNS_18_SOON_DAYS} days: with a masked ID number's check digit it still leaves "
        "many candidate birth dates",
    ),
    "aged_out_candidate": _derived(_GENERAL, "birth_date", "status", why="a flag: 18 or older while active"),
    "phone": _stored(_IDENTITY),
    "guardians": _stored(_IDENTITY),
    "household_division_code": _stored(_GENERAL),
    "household_address": _stored(_IDENTITY),
    "residence_division_code": _stored(_GENERAL),
    "residence_address": _stored(_IDENTITY),
    "school": _stored(_GENERAL),
    "grade": _stored(_GENERAL),
    "schooling_status": _stored(_GENERAL),
    "risk_categories": _stored(_GENERAL, why="the categories a school may see"),
    "sensitive_risk_categories": _stored(_SENSITIVE, why="drug use and offending; shown in risk_categories"),
    "substances": _stored(_SENSITIVE),
    "risk_level": _stored(_GENERAL),
    "managing_unit": _stored(_GENERAL),
    "status": _stored(_GENERAL),
    "is_sealed": Rule(_SENSITIVE, sealable=False, why="a seal tells that there is a criminal record to seal"),
    "source": _stored(_SENSITIVE, why="'seizure_notice' says the child was seized for drugs"),
    "verification_status": _stored(
        _GENERAL, why="whether the ID number is on record (待核实), not what it is"
    ),
    "birth_date_precision": _stored(
        _GENERAL, why="how much of the birth date is known (year, month, day); the date itself is identity"
    ),
    "found_by": _stored(_SENSITIVE, why="'police' (公安) says the police came across the child, like source"),
    "merged_into_id": _stored(_GENERAL, why="a record's id, read in scope like any other"),
    "created_at": _stored(_GENERAL),
    "updated_at": _stored(_GENERAL),
    "masked_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
    "hidden_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
    "revealable_fields": _derived(_GENERAL, "the policy", why="what the caller may reveal with a reason"),
}

# Risk categories that tell of drug use or offending: the sensitive class. All others may be seen by schools.
SENSITIVE_RISK_CATEGORIES = frozenset(
    {"nps_abuse", "seized_drug_use", "family_drug_use", "serious_misconduct", "misconduct", "key_student"}
)

_F, _M, _H = Visibility.full, Visibility.masked, Visibility.hidden

# role → class → (list view, detail view). ``responsible`` upgrades a caseworker's detail identity to full.
MATRIX: dict[Role, dict[FieldClass, tuple[Visibility, Visibility]]] = {
    Role.caseworker: {
        FieldClass.identity: (_M, _M),
        FieldClass.sensitive: (_F, _F),
        FieldClass.general: (_F, _F),
    },
    Role.supervisor: {
        FieldClass.identity: (_M, _M),
        FieldClass.sensitive: (_F, _F),
        FieldClass.general: (_F, _F),
    },
    Role.police: {
        FieldClass.identity: (_M, _M),
        FieldClass.sensitive: (_H, _H),
        FieldClass.general: (_F, _F),
    },
    Role.school_staff: {
        FieldClass.identity: (_M, _M),
        FieldClass.sensitive: (_H, _H),
        FieldClass.general: (_F, _F),
    },
    # Separation of duties: administrators and auditors never see identities or drug-use facts.
    Role.admin: {FieldClass.identity: (_M, _M), FieldClass.sensitive: (_H, _H), FieldClass.general: (_F, _F)},
    Role.auditor: {
        FieldClass.identity: (_M, _M),
        FieldClass.sensitive: (_H, _H),
        FieldClass.general: (_F, _F),
    },
}
# The education bureau is absent: it sees no individual minor at all (it has no minors scope).

# Who may break the glass, and on which classes.
REVEAL_IDENTITY_ROLES = frozenset({Role.caseworker, Role.supervisor, Role.police})
# What a reveal can ask for: stored values only (a derived value follows from the stored one it comes from).
IDENTITY_FIELDS = tuple(
    name for name, rule in MINOR_FIELDS.items() if rule.field_class is _IDENTITY and not rule.derived
)
SENSITIVE_FIELDS = tuple(
    name
    for name, rule in MINOR_FIELDS.items()
    if rule.field_class is _SENSITIVE and rule.sealable and not rule.derived
)


def may_search_names(principal: Principal) -> bool:
    """Searching by name is a look at identities: only for roles that may reveal them."""
    return principal.role in REVEAL_IDENTITY_ROLES


def can_reveal_sealed(principal: Principal) -> bool:
    """Sealed facts (犯罪记录封存) open only to a supervisor of a county-level office, with a reason."""
    return principal.role is Role.supervisor and principal.unit_kind == "county_office"


@dataclass(frozen=True, eq=False)
class Shape:
    """How each field of one record is shown to one principal. Compared and hashed by identity: the shapes of
    minors are made once per combination (``_shape``), so what is derived from one can be cached on it."""

    visibility: dict[str, Visibility]

    def of(self, field: str) -> Visibility:
        return self.visibility[field]

    def shows(self, field: str) -> bool:
        return self.visibility[field] is not Visibility.hidden

    @cached_property
    def masked_fields(self) -> list[str]:
        return sorted(field for field, seen in self.visibility.items() if seen is Visibility.masked)

    @cached_property
    def hidden_fields(self) -> list[str]:
        return sorted(field for field, seen in self.visibility.items() if seen is Visibility.hidden)

    @cached_property
    def full_fields(self) -> frozenset[str]:
        return frozenset(field for field, seen in self.visibility.items() if seen is Visibility.full)

    def without_hidden(self, values: dict[str, Any], *, strip_prefix: str = "") -> dict[str, Any]:
        """``values`` (keyed by field) without the fields this shape hides; fields it does not class pass
        through. ``strip_prefix``: the keys of a nested part (``plan.goals``) as that part names them."""
        return {
            field.removeprefix(strip_prefix): value
            for field, value in values.items()
            if self.visibility.get(field, Visibility.full) is not Visibility.hidden
        }


def shape_for(principal: Principal, *, view: View, responsible: bool, sealed: bool) -> Shape:
    """The visibility of every field of a minor for this principal. The caller has already checked scope.
    ``responsible``: the minor's open care file names this person, in an assignment a lead made or confirmed
    (a caseworker then sees the identity in the detail view, each time an audit event of its own)."""
    assert principal.role is not None, "machine clients never read minors"
    return _shape(principal.role, view, responsible, sealed)


def identity_shown_for_responsibility(shape: Shape) -> bool:
    """Whether this detail shape shows the identity in full only because the caller is responsible (then the
    view is recorded as such)."""
    return shape.of("id_number") is Visibility.full


# A handful of combinations, asked for once per row of every list: computed once each.
@cache
def _shape(role: Role, view: View, responsible: bool, sealed: bool) -> Shape:
    columns = MATRIX[role]
    visibility: dict[str, Visibility] = {}
    for field, rule in MINOR_FIELDS.items():
        seen = columns[rule.field_class][0 if view is View.list else 1]
        if rule.field_class is _IDENTITY and view is View.detail and responsible and role is Role.caseworker:
            seen = Visibility.full
        if rule.field_class is _SENSITIVE and rule.sealable and sealed:
            seen = Visibility.hidden
        visibility[field] = seen
    return Shape(visibility)


def revealable_fields(principal: Principal, *, sealed: bool) -> frozenset[str]:
    """The fields this principal may ask to reveal (with a reason) for a minor in its scope."""
    fields: set[str] = set()
    if principal.role in REVEAL_IDENTITY_ROLES:
        fields.update(IDENTITY_FIELDS)
    if sealed and can_reveal_sealed(principal):
        fields.update(SENSITIVE_FIELDS)
    return frozenset(fields)


def sees_sensitive(principal: Principal) -> bool:
    """Whether the principal sees the sensitive class of an unsealed record it reaches (detail view)."""
    # Fails closed; its callers (audit readers, leads' to-do items) are always people of a role in the matrix.
    if principal.role is None or principal.role not in MATRIX:  # pragma: no branch
        return False
    return MATRIX[principal.role][_SENSITIVE][1] is Visibility.full


def record_shape(fields: dict[str, Rule], principal: Principal, *, sealed: bool = False) -> Shape:
    """The detail-view visibility of every field of a care file, entry, transfer or audit event: the same
    role × class matrix as minors. Identity is masked for everyone but whom the minor's own shape shows."""
    assert principal.role is not None
    columns = MATRIX.get(principal.role)
    visibility: dict[str, Visibility] = {}
    for field, rule in fields.items():
        seen = columns[rule.field_class][1] if columns else (_F if rule.field_class is _GENERAL else _H)
        if rule.field_class is _SENSITIVE and rule.sealable and sealed and not can_reveal_sealed(principal):
            seen = Visibility.hidden
        visibility[field] = seen
    return Shape(visibility)


# Statistics (docs/statistics.md). School statistics count only the risk categories a school may see, so a
# published count never tells of drug use or offending.
def school_visible_risk_categories(all_categories: list[str]) -> list[str]:
    return [code for code in all_categories if code not in SENSITIVE_RISK_CATEGORIES]


def sees_underlying_records(principal: Principal) -> bool:
    """Whether small counts over the principal's scope may be shown as they are: only to people who may list
    the minors behind them with every class they count (drug-use categories included). Everyone else gets
    counts suppressed where small."""
    # Fails closed; the dashboard's readers (stats:overview) are always people of a role in the matrix.
    if principal.role is None or principal.role not in MATRIX:  # pragma: no branch
        return False
    return MATRIX[principal.role][FieldClass.sensitive][0] is Visibility.full


def overview_risk_categories(principal: Principal, all_categories: list[str]) -> list[str]:
    """The categories a dashboard may count for this principal: sensitive ones only for those who see them."""
    if sees_underlying_records(principal):
        return list(all_categories)
    return school_visible_risk_categories(all_categories)
