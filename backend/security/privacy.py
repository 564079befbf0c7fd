"""The privacy policy for at-risk minors (DESIGN.md §3): one table of who sees which class of field, how.

Every read path that returns a minor asks this module; ``tests/minors/test_privacy_matrix.py`` is generated
from the tables below, so a change here is a change in what the tests demand.
"""

from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property

from backend.security.principals import Principal
from backend.security.roles import Role


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


# Every field of a minor the API can return, by class. Risk categories are split: the school-visible ones
# are general, the rest (drug use, serious misconduct, family drug use) are sensitive.
MINOR_FIELDS: dict[str, FieldClass] = {
    "name": FieldClass.identity,
    "id_number": FieldClass.identity,
    "birth_date": FieldClass.identity,
    "phone": FieldClass.identity,
    "guardians": FieldClass.identity,
    "household_address": FieldClass.identity,
    "residence_address": FieldClass.identity,
    "substances": FieldClass.sensitive,
    "sensitive_risk_categories": FieldClass.sensitive,
    "id_document_type": FieldClass.general,
    "gender": FieldClass.general,
    "age": FieldClass.general,
    "household_division_code": FieldClass.general,
    "residence_division_code": FieldClass.general,
    "school": FieldClass.general,
    "grade": FieldClass.general,
    "schooling_status": FieldClass.general,
    "risk_categories": FieldClass.general,
    "risk_level": FieldClass.general,
    "managing_unit": FieldClass.general,
    "status": FieldClass.general,
    "is_sealed": FieldClass.general,
    "source": FieldClass.general,
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
IDENTITY_FIELDS = tuple(name for name, cls in MINOR_FIELDS.items() if cls is FieldClass.identity)
SENSITIVE_FIELDS = tuple(name for name, cls in MINOR_FIELDS.items() if cls is FieldClass.sensitive)


def can_reveal_sealed(principal: Principal) -> bool:
    """Sealed facts (犯罪记录封存) open only to a supervisor of a county-level office, with a reason."""
    return principal.role is Role.supervisor and principal.unit_kind == "county_office"


@dataclass(frozen=True, eq=False)
class Shape:
    """How each field of one minor is shown to one principal. Compared and hashed by identity: the shapes of
    minors are made once per combination (``_shape``), so what is derived from one can be cached on it."""

    visibility: dict[str, Visibility]

    def of(self, field: str) -> Visibility:
        return self.visibility[field]

    @cached_property
    def masked_fields(self) -> list[str]:
        return sorted(field for field, seen in self.visibility.items() if seen is Visibility.masked)

    @cached_property
    def hidden_fields(self) -> list[str]:
        return sorted(field for field, seen in self.visibility.items() if seen is Visibility.hidden)

    @cached_property
    def full_fields(self) -> frozenset[str]:
        return frozenset(field for field, seen in self.visibility.items() if seen is Visibility.full)


def shape_for(principal: Principal, *, view: View, responsible: bool, sealed: bool) -> Shape:
    """The visibility of every field of a minor for this principal. The caller has already checked scope."""
    assert principal.role is not None, "machine clients never read minors"
    return _shape(principal.role, view, responsible, sealed)


# A handful of combinations, asked for once per row of every list: computed once each.
@cache
def _shape(role: Role, view: View, responsible: bool, sealed: bool) -> Shape:
    columns = MATRIX[role]
    visibility: dict[str, Visibility] = {}
    for field, field_class in MINOR_FIELDS.items():
        seen = columns[field_class][0 if view is View.list else 1]
        if (
            field_class is FieldClass.identity
            and view is View.detail
            and responsible
            and role is Role.caseworker
        ):
            seen = Visibility.full
        if field_class is FieldClass.sensitive and sealed:
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


# Seizure notices (查获通知). The person is masked for every reader — the full identity is revealed on the
# minor, with a reason and an audit event. The facts are the sensitive class: the reporting police station
# (its officers and its system) sees what it reported; the receiving station's social workers and leads see
# them to take the case up; everyone else sees none, and a sealed record hides them like the minor's own.
SEIZURE_NOTICE_FIELDS: dict[str, FieldClass] = {
    "person": FieldClass.identity,
    "place": FieldClass.sensitive,
    "substances": FieldClass.sensitive,
    "test_result": FieldClass.sensitive,
    "measures": FieldClass.sensitive,
    "summary": FieldClass.sensitive,
}

# role (None: a machine client) → class → visibility. Roles absent here hold no seizures scope.
NOTICE_MATRIX: dict[Role | None, dict[FieldClass, Visibility]] = {
    None: {FieldClass.identity: _M, FieldClass.sensitive: _F},
    Role.police: {FieldClass.identity: _M, FieldClass.sensitive: _F},
    Role.caseworker: {FieldClass.identity: _M, FieldClass.sensitive: _F},
    Role.supervisor: {FieldClass.identity: _M, FieldClass.sensitive: _F},
}
_NO_NOTICE_ACCESS = {FieldClass.identity: _M, FieldClass.sensitive: _H}


def notice_shape_for(principal: Principal, *, sealed: bool) -> Shape:
    """The visibility of every field of a seizure notice for this principal (scope already checked)."""
    columns = NOTICE_MATRIX.get(principal.role, _NO_NOTICE_ACCESS)
    visibility: dict[str, Visibility] = {}
    for field, field_class in SEIZURE_NOTICE_FIELDS.items():
        seen = columns[field_class]
        if field_class is FieldClass.sensitive and sealed and not can_reveal_sealed(principal):
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
    if principal.role is None or principal.role not in MATRIX:
        return False
    return MATRIX[principal.role][FieldClass.sensitive][0] is Visibility.full


def overview_risk_categories(principal: Principal, all_categories: list[str]) -> list[str]:
    """The categories a dashboard may count for this principal: sensitive ones only for those who see them."""
    if sees_underlying_records(principal):
        return list(all_categories)
    return school_visible_risk_categories(all_categories)


def timeline_visibility(principal: Principal, *, sealed: bool) -> Visibility:
    """How the contents of a care file's timeline (the sensitive class) are shown: full or hidden, never
    masked — a summary cannot be meaningfully starred out. Sealed facts open only to whom may reveal them."""
    assert principal.role is not None
    seen = MATRIX[principal.role][FieldClass.sensitive][1]
    if sealed and not can_reveal_sealed(principal):
        return Visibility.hidden
    return Visibility.full if seen is Visibility.full else Visibility.hidden
