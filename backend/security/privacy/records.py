"""Every other record that tells of a minor, field by field with its class, and the shaping that belongs to it
alone: seizure notices (their own matrix), care files and their entries (and what a school-kept file shows its
school), transfers, to-do items, notifications, venues and checks, assessments, rates, import jobs, and audit
events (which reasons and field names a reader may see). Read through the package (``backend.security.privacy``).
"""

from dataclasses import dataclass

from backend.security.masking import mask_name
from backend.security.principals import Principal
from backend.security.privacy.policy import (
    _F,
    _GENERAL,
    _H,
    _IDENTITY,
    _M,
    _SENSITIVE,
    MINOR_FIELDS,
    FieldClass,
    Rule,
    Shape,
    Visibility,
    _derived,
    _stored,
    can_reveal_sealed,
    record_shape,
    sees_sensitive,
)
from backend.security.roles import Role

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
