"""The privacy policy (docs/privacy.md): every field of every record that tells of a minor, stored or derived,
with its class, and one table of who sees which class, how.

Every read path that returns a minor, a seizure notice, a care file, its timeline, a transfer or an audit
event asks this module. The tests hold it to a table of their own written out by hand
(``tests/minors/test_privacy_matrix.py``) and to what an attacker could work out from everything a role
receives (``tests/test_inference.py``); docs/privacy.md lists every field (``qinghu privacy-fields``).
"""

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache, cached_property
from typing import Any

from backend.security.masking import mask_name
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


# Seizure notices (查获通知). The person is masked for every reader — the full identity is revealed on the
# minor, with a reason and an audit event. The facts are the sensitive class: the reporting police station
# (its officers and its system) sees what it reported; the receiving station's social workers and leads see
# them to take the case up; everyone else sees none, and a sealed record hides them like the minor's own.
SEIZURE_NOTICE_FIELDS: dict[str, Rule] = {
    "person": _stored(_IDENTITY, why="name and ID number, always masked here"),
    "person.age_when_seized": _derived(_GENERAL, "birth_date", "seized_at", why="whole years"),
    "person.gender": _stored(_GENERAL),
    "place": _stored(_SENSITIVE),
    "substances": _stored(_SENSITIVE),
    "test_result": _stored(_SENSITIVE),
    "measures": _stored(_SENSITIVE),
    "summary": _stored(_SENSITIVE),
    **{
        field: _stored(_GENERAL, why="reaches only the reporting station and the receiving station")
        for field in (
            "id",
            "notice_no",
            "received_at",
            "seized_at",
            "routing",
            "minor_id",
            "acknowledged_at",
            "acknowledged_by",
            "reporting_unit",
            "ack_deadline_at",
            "overdue",
            "followup",
        )
    },
    "masked_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
    "hidden_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
}

# role (None: a machine client) → class → visibility. Roles absent here hold no seizures scope.
NOTICE_MATRIX: dict[Role | None, dict[FieldClass, Visibility]] = {
    None: {_IDENTITY: _M, _SENSITIVE: _F, _GENERAL: _F},
    Role.police: {_IDENTITY: _M, _SENSITIVE: _F, _GENERAL: _F},
    Role.caseworker: {_IDENTITY: _M, _SENSITIVE: _F, _GENERAL: _F},
    Role.supervisor: {_IDENTITY: _M, _SENSITIVE: _F, _GENERAL: _F},
}
_NO_NOTICE_ACCESS = {_IDENTITY: _M, _SENSITIVE: _H, _GENERAL: _F}


def notice_shape_for(principal: Principal, *, sealed: bool) -> Shape:
    """The visibility of every field of a seizure notice for this principal (scope already checked)."""
    columns = NOTICE_MATRIX.get(principal.role, _NO_NOTICE_ACCESS)
    visibility: dict[str, Visibility] = {}
    for field, rule in SEIZURE_NOTICE_FIELDS.items():
        seen = columns[rule.field_class]
        if rule.field_class is _SENSITIVE and sealed and not can_reveal_sealed(principal):
            seen = Visibility.hidden
        visibility[field] = seen
    return Shape(visibility)


# Care files (关爱帮教档案). The minor inside is shaped by MINOR_FIELDS; the file's own facts: why it was
# opened (a seizure, a drug-use category), its alert (a positive urine test), its plan and the free text of
# a closure tell of drug use and are the sensitive class; outsiders named on the team (a family member) are
# identity, masked as the minor's name is.
CARE_FILE_FIELDS: dict[str, Rule] = {
    "trigger": _stored(_SENSITIVE, why="'seizure_notice' or 'registration' in a drug-use category"),
    "alert": _stored(_SENSITIVE, why="the only alert is a positive urine test"),
    "plan.goals": _stored(_SENSITIVE, why="free text about the minor's drug use"),
    "plan.measures": _stored(_SENSITIVE, why="free text: urine tests, treatment"),
    "plan.urine_test_interval_days": _stored(_SENSITIVE, why="urine tests required tell of drug use"),
    "closure.note": _stored(_SENSITIVE, why="free text"),
    "closure.comment": _stored(_SENSITIVE, why="free text"),
    "team.name": _stored(_IDENTITY, why="an outsider's name (a family member) points at the child"),
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "version",
            "minor",
            "managing_unit",
            "accountable_unit",
            "kept_by_school",
            "status",
            "opened_at",
            "reopened_count",
            "lead_worker",
            "assignment_confirmed",
            "team.role",
            "team.user_id",
            "team.organisation",
            "plan.interval_days",
            "last_contact_on",
            "next_due_on",
            "due_state",
            "failed_attempts",
            "closure.reason",
            "closure.requested_at",
            "closure.requested_by",
            "closure.decided_at",
            "closure.decided_by",
            "closed_at",
            "pending_transfer_id",
            "created_at",
            "updated_at",
        )
    },
    "recordable_kinds": _derived(
        _GENERAL, "the caller's role on the file's team", why="what the caller may do, not a fact of the case"
    ),
    "hidden_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
}

# A care file's timeline: what was done and found is the sensitive class, shown in full or not at all (a
# summary cannot be starred out). An entry whose very kind tells of drug use (a urine test) is left out
# altogether for those who do not see the class; the others keep their kind, date and author.
CARE_ENTRY_FIELDS: dict[str, Rule] = {
    "summary": _stored(_SENSITIVE, why="free text of the talk or visit"),
    "urine_result": _stored(_SENSITIVE),
    "referral_kind": _stored(_SENSITIVE, why="medical referral means treatment for drug use"),
    "kind": _stored(_GENERAL, why="general for every kind but urine_test, whose entries are left out"),
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "care_file_id",
            "occurred_at",
            "actor",
            "contact_succeeded",
            "next_due_on",
            "corrects_id",
            "superseded_by",
            "recorded_at",
        )
    },
    "hidden_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
}
SENSITIVE_ENTRY_KINDS = frozenset({"urine_test"})

# A school-kept file (学校一人一档) holds only what the keeping school wrote: its plan, its talks and visits (a
# school records no urine test or referral, and the station does not record in it). That text is shown to the
# keeping school's staff, who wrote it; the minor inside and everything else follow the matrix, so the school
# sees nothing of the pupil it did not see before. A sealed record hides it as any sensitive text.
SCHOOL_WRITTEN_FILE_FIELDS = frozenset(
    {"trigger", "plan.goals", "plan.measures", "closure.note", "closure.comment"}
)
SCHOOL_WRITTEN_ENTRY_FIELDS = frozenset({"summary"})


def school_file_shape(
    fields: dict[str, Rule], principal: Principal, *, keeps_it: bool, sealed: bool = False
) -> Shape:
    """``record_shape`` of a care file or entry; on a school-kept file read by the school that keeps it
    (``keeps_it``), the text the school wrote is shown."""
    shape = record_shape(fields, principal, sealed=sealed)
    if not keeps_it or sealed:
        return shape
    written = SCHOOL_WRITTEN_FILE_FIELDS if fields is CARE_FILE_FIELDS else SCHOOL_WRITTEN_ENTRY_FIELDS
    return Shape(
        {field: Visibility.full if field in written else seen for field, seen in shape.visibility.items()}
    )


def team_member_name(name: str, *, has_account: bool, minor_name_masked: bool) -> str:
    """A name on a care file's team (``team.name``): staff with an account are named in full; an outsider (a
    family member) is named as the minor is, masked wherever the minor's name is masked."""
    return mask_name(name) if minor_name_masked and not has_account else name


def shows_sensitive_entry_kinds(entry_shape: Shape) -> bool:
    """Whether entries of a drug-use kind are listed at all for the reader of this entry shape."""
    return entry_shape.of("summary") is Visibility.full


# Transfers (委托管理/移交): the minor is shaped by MINOR_FIELDS; the free text written about the case is the
# sensitive class (it is where "caught using etomidate" would be written), the reason's code is general.
TRANSFER_FIELDS: dict[str, Rule] = {
    "reason": _stored(_SENSITIVE, why="free text about the case"),
    "decision_note": _stored(_SENSITIVE, why="free text about the case"),
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "version",
            "minor",
            "care_file_id",
            "from_unit",
            "to_unit",
            "outside_place",
            "reason_code",
            "kind",
            "ends_on",
            "status",
            "requested_by",
            "requested_at",
            "decided_at",
            "decided_by",
            "delivered_at",
            "box",
            "can_accept",
            "can_cancel",
            "can_mark_delivered",
            "can_renew",
            "can_end",
        )
    },
    "hidden_fields": _derived(_GENERAL, "the policy", why="how the record was shaped"),
}

# The to-do centre (``GET /api/v1/me/todo``): counts and record ids of the caller's own lists, never a minor's
# identity. An item that would tell of drug use (a positive urine test) exists only for those who see that class.
TODO_ITEM_FIELDS: dict[str, Rule] = {
    **{field: _stored(_GENERAL) for field in ("kind", "title", "link")},
    "count": _derived(_GENERAL, "the list behind the link", why="the caller's own list, in their scope"),
    "object_ids": _derived(
        _GENERAL, "the list behind the link", why="ids only; the records are read as usual"
    ),
}

# A person's notifications (``/api/v1/me/notifications``), read by that person only. A title and body name a
# minor by a masked name at most (the registry's list view) and carry no ID number; a digest holds counts only.
NOTIFICATION_FIELDS: dict[str, Rule] = {
    **{field: _stored(_GENERAL) for field in ("id", "kind", "link", "digest_day", "created_at", "read_at")},
    "title": _stored(_GENERAL, why="Chinese words of the event; no identity"),
    "body": _derived(
        _GENERAL,
        "name",
        why="the minor's name masked (张*), as in every list; never an ID number, never a name in full",
    ),
}

# Venues and pharmacy checks (``/api/v1/venues``, ``/api/v1/pharmacy-checks``): places and businesses, never a
# child. A pharmacy check records a buyer's age band only (no name, no ID number, no date of birth): a band over
# a pharmacy and a day is not enough to find the child, and the form asks for it.
VENUE_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "name",
            "kind",
            "address",
            "unit",
            "near_school",
            "school",
            "status",
            "note",
            "last_checked_on",
            "follow_up_on",
            "version",
            "created_at",
            "updated_at",
        )
    },
    "follow_up_due": _derived(_GENERAL, "follow_up_on", why="a flag: the follow-up date has come"),
    "check_count": _derived(_GENERAL, "checks", why="how many checks the venue has had"),
    "checks": _stored(_GENERAL, why="the venue's checks, each as below"),
}
VENUE_CHECK_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "venue_id",
            "checked_on",
            "findings",
            "hazard_found",
            "measures",
            "follow_up_on",
            "checked_by_unit",
            "checked_by_name",
            "recorded_at",
        )
    },
    "evidence": _stored(_GENERAL, why="file names, types and sizes; the files are read in scope"),
}
PHARMACY_CHECK_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "pharmacy_name",
            "licence_number",
            "address",
            "checked_on",
            "quantity",
            "prescription_seen",
            "notes",
            "unit",
            "checked_by_name",
            "version",
            "created_at",
            "updated_at",
        )
    },
    "buyer_age_band": _stored(
        _GENERAL, why="a band (under 14, 14-15, 16-17, adult), never a name, ID number or birth date"
    ),
    "minor_buyer": _derived(_GENERAL, "buyer_age_band", why="a flag: the band is under 18"),
}

# Assessments (``/api/v1/assessment-schemes``, ``/api/v1/assessment-runs``): a unit's scores and the counts behind
# them are aggregates about units, general for whoever may read the result (the unit itself, the issuing subtree's
# leads and auditors). The drill-down's minors are shaped as a related minor in the list view (MINOR_FIELDS), its
# tasks, records and notices carry ids and dates only; a hand score's reason is about the unit's work, never a case.
ASSESSMENT_RESULT_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in (
            "unit",
            "scores.indicator",
            "scores.computed_score",
            "scores.adjusted",
            "scores.numerator",
            "scores.denominator",
            "scores.value",
            "vetoes.veto",
        )
    },
    "scores.reason": _stored(_GENERAL, why="why a lead scored or adjusted by hand: about the unit's work"),
    "vetoes.reason": _stored(_GENERAL, why="why a veto item was struck by hand: about the unit's work"),
    "vetoes.count": _derived(_GENERAL, "the veto item's records", why="a count of records, no identity"),
    **{
        field: _derived(_GENERAL, "scores", why="computed from the unit's scores and the scheme's rules")
        for field in ("total", "grade", "rank", "vetoed", "passed", "named", "called_in", "scores.score")
    },
}
ASSESSMENT_FIGURE_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in (
            "run_id",
            "unit",
            "indicator",
            "name",
            "source",
            "score",
            "numerator",
            "denominator",
            "value",
            "reason",
            "ids_kind",
            "tasks",
            "records",
            "notices",
        )
    },
    "minors": _derived(
        _GENERAL,
        "MINOR_FIELDS",
        why="each minor shaped by the registry's presenter in the list view (masked)",
    ),
}

# The rates units are held to (``/api/v1/stats/rates``, docs/statistics.md): aggregates over a unit's subtree,
# never a record. Every count is of people (minors, their files, notices, urine tests) and goes through the one
# small-count rule (``stats.suppression``), for every reader: 1..threshold hidden, and more hidden until no
# hidden count — nor the complement "minors not cared for" — can be worked out from the units beside it.
RATE_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in ("period", "suppression_threshold", "codes", "unit_id", "unit_name", "kind", "parent_id")
    },
    **{
        f"rates.*.{field}": _derived(
            _GENERAL,
            "care files, their entries and seizure notices in the unit's subtree",
            why="an aggregate; null where small or where it would give a small count away",
        )
        for field in ("numerator", "denominator", "value")
    },
    "rates.*.suppressed": _derived(_GENERAL, "the counts", why="says a cell is hidden; never why"),
}

# Import jobs (``/api/v1/imports``): read by the uploader and by leads above the uploader's unit. The report keeps
# row numbers, outcomes and problems by column header, never a cell's value: no name, no ID number (in clear or
# masked) — the uploader has the file; a duplicate managed by another unit is said to be one and nothing more.
IMPORT_JOB_FIELDS: dict[str, Rule] = {
    **{
        field: _stored(_GENERAL)
        for field in (
            "id",
            "kind",
            "mode",
            "all_or_nothing",
            "status",
            "file_hash",
            "file_size",
            "sheet_name",
            "unit_id",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "rows_total",
            "rows_done",
            "rows_ok",
            "rows_duplicate",
            "rows_invalid",
            "rows_applied",
            "committed",
            "error",
        )
    },
    "file_name": _stored(_GENERAL, why="as the uploader named it; the web app suggests the template's name"),
    "report.notes": _stored(_GENERAL, why="which sheet was read, what was ignored"),
    "report.columns": _stored(_GENERAL, why="the form's headers found"),
    "report.rows.row": _stored(_GENERAL, why="a row number of the uploader's own file"),
    "report.rows.outcome": _stored(_GENERAL),
    "report.rows.action": _stored(
        _GENERAL, why="what committing does; 'managed by another unit' says no more than a registration's 409"
    ),
    "report.rows.problems": _stored(_GENERAL, why="column header, code and message; never the cell's value"),
}

# The audit trail. Who did what, when and why is general for those who read the trail (the reason of a
# reveal is what an auditor audits); but an event's reason can be a case fact in code form ("seizure_notice",
# "positive_urine_test", a trigger), and the names of changed fields can say "substances": those are the
# sensitive class.
AUDIT_EVENT_FIELDS: dict[str, Rule] = {
    "reason": _stored(_GENERAL, why="sensitive when the event's action records a case fact (below)"),
    "fields": _stored(_GENERAL, why="names of sensitive fields are left out for those without the class"),
    "request_id": _stored(
        _GENERAL, why="left out on a case's events for those without the class: it ties a notice to a file"
    ),
    **{
        field: _stored(_GENERAL)
        for field in (
            "seq",
            "at",
            "actor_kind",
            "actor_id",
            "actor_name",
            "actor_unit",
            "unit_id",
            "action",
            "object_type",
            "object_id",
            "hash",
        )
    },
}
# Actions whose reason is a case fact (a trigger, an alert kind, the push that changed a minor).
AUDIT_ACTIONS_WITH_SENSITIVE_REASONS = frozenset(
    {
        "minor.updated",
        "care_file.opened",
        "care_file.reopened",
        "care_file.updated",
        "care_file.alert_raised",
        "care_file.closure_requested",
        "care_file.closure_approved",
        "care_file.closure_rejected",
        "transfer.requested",
        "transfer.rejected",
    }
)
SENSITIVE_FIELD_NAMES = frozenset(
    {name for name, rule in MINOR_FIELDS.items() if rule.field_class is _SENSITIVE and rule.sealable}
    | {"risk_categories", "urine_test", "referral", "urine_test_interval_days"}
)


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


@dataclass(frozen=True)
class AuditEventView:
    reason: str | None
    fields: list[str] | None
    request_id: str | None


# Records of a case: the request id of an event about one of them is kept from readers without the sensitive
# class (it would tie a care file's opening to the seizure notice acknowledged in the same request).
CASE_OBJECT_TYPES = frozenset({"minor", "care_file", "seizure_notice", "transfer"})


def audit_event_view(
    principal: Principal,
    *,
    action: str,
    object_type: str | None,
    reason: str | None,
    fields: list[str] | None,
    request_id: str | None,
) -> AuditEventView:
    """An audit event's reason, field names and request id as this reader may see them. Without the sensitive
    class: no reason that is a case fact, no sensitive field names, no request id on a case's events."""
    if sees_sensitive(principal):
        return AuditEventView(reason, fields, request_id)
    shown_reason = None if action in AUDIT_ACTIONS_WITH_SENSITIVE_REASONS else reason
    shown_fields = [name for name in fields if name not in SENSITIVE_FIELD_NAMES] if fields else fields
    return AuditEventView(
        shown_reason, shown_fields, None if object_type in CASE_OBJECT_TYPES else request_id
    )


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
