"""What a principal may do, by name: the one place where authorization rules live beside the route scopes.

A route names the scope it needs (``auth.deps.require``); a service asks a predicate here when the rule depends
on more than the scope (the record's unit, who started it, a field of the change). Every predicate starts from
the scopes a role holds, so the two never disagree: a scope a role holds is a thing that role can do
(``tests/security/test_route_scopes.py`` walks every role × scope × route to prove it).

Predicates take plain values (paths, ids, flags), never another domain's rows: this module imports no domain.
"""

import uuid

from backend.errors import Forbidden
from backend.security.principals import Principal, parent_path, subtree_range
from backend.security.roles import ROLE_SCOPES, Role, Scope


def ensure(allowed: bool, detail: str) -> None:
    """Answer 403 with ``detail`` unless ``allowed``."""
    if not allowed:
        raise Forbidden(detail)


# --- the unit tree ------------------------------------------------------------------------------------------


def path_in_subtree(path: str | None, root: str) -> bool:
    """Whether a unit's materialised path lies at or below ``root``: the Python twin of the SQL condition
    ``principals.in_subtree`` (the same bounds, ``subtree_range``)."""
    if path is None:
        return False
    low, high = subtree_range(root)
    return low <= path < high


def covers(principal: Principal, path: str | None) -> bool:
    """Whether the unit at ``path`` lies in the principal's subtree."""
    return path_in_subtree(path, principal.unit_path)


# --- statistics ---------------------------------------------------------------------------------------------


def may_read_unit_rates(principal: Principal) -> bool:
    """The rates units are held to (帮教率, 尿检率 …, issue 18): leads and the education bureau (``stats:read``) and
    auditors (who hold ``stats:overview``). Not school staff, whose statistics are their own pupils', nor social
    workers, whose dashboard is their own work."""
    if principal.role is Role.school_staff or principal.unit_kind == "school":
        return False
    return principal.has(Scope.stats_read) or (
        principal.role is Role.auditor and principal.has(Scope.stats_overview)
    )


def reads_rates_by_whole_months(principal: Principal) -> bool:
    """Who reads the rates as aggregates only, never the records behind them (the education bureau's client):
    their periods are whole, ended calendar months, so that no day's or open month's counts come out by
    subtracting one period's figures from another's. Leads and auditors read the records themselves."""
    return not principal.has(Scope.minors_read)


# --- imports ------------------------------------------------------------------------------------------------


def reads_unit_imports(principal: Principal) -> bool:
    """A lead reads every import made in the subtree of their unit; everyone else reads their own."""
    return principal.role is Role.supervisor


# --- minors -------------------------------------------------------------------------------------------------


def may_register_minors(principal: Principal) -> bool:
    """Stations register minors found in screening; schools report pupils; police register whom they meet."""
    return principal.has(Scope.minors_register)


def may_edit_minors(principal: Principal) -> bool:
    """The managing station keeps the record: its social workers and leads."""
    return principal.has(Scope.minors_write)


def may_change_minor_status(principal: Principal) -> bool:
    """Closing, reactivating and sealing a record (犯罪记录封存) are a lead's decisions."""
    return principal.has(Scope.minors_write) and principal.role is Role.supervisor


def registers_for_served_township(principal: Principal) -> bool:
    """Police and school staff register minors for the township they serve (their unit's parent), never for
    their own unit; stations and the county register for their own subtree."""
    return principal.role in (Role.police, Role.school_staff)


def registration_root(principal: Principal) -> str:
    """The subtree whose stations may be named to manage a minor this principal registers."""
    return (
        parent_path(principal.unit_path) if registers_for_served_township(principal) else principal.unit_path
    )


def reports_own_pupils(principal: Principal) -> bool:
    """School staff register the pupils of their own school."""
    return principal.role is Role.school_staff


# --- seizure notices ----------------------------------------------------------------------------------------


def may_push_seizure_notices(principal: Principal) -> bool:
    """Police stations push notices: their officers and their systems (machine clients)."""
    return principal.has(Scope.seizures_write) and principal.unit_kind == "police_station"


# --- care files ---------------------------------------------------------------------------------------------


def may_keep_care_files(principal: Principal) -> bool:
    """Open files, change plans and teams, record care work, ask to close."""
    return principal.has(Scope.care_files_write)


def may_decide_for_care_files(principal: Principal) -> bool:
    """A lead's decisions: closures, alerts, follow-up intervals, confirming who is responsible."""
    return principal.has(Scope.care_files_approve)


def may_lead_a_care_file(role: Role) -> bool:
    """Who can be named a file's lead social worker: someone who keeps care files."""
    return Scope.care_files_write in ROLE_SCOPES[role]


# What each team role records on a file that names them (四位一体): the community police officer tests urine
# and visits the home with the worker, a teacher talks with the pupil and keeps the school in touch, a village
# or community cadre visits the family. Family members are named but have no account.
TEAM_ENTRY_KINDS: dict[str, frozenset[str]] = {
    "police_officer": frozenset({"urine_test", "home_visit"}),
    "teacher": frozenset({"school_contact", "talk", "education"}),
    "village_cadre": frozenset({"home_visit", "family_contact"}),
    "family_member": frozenset(),
}


# The team role in which someone with an account works on a file through ``care_files:team``.
TEAM_ROLE_OF_ACCOUNT: dict[Role, str] = {Role.police: "police_officer", Role.school_staff: "teacher"}


def works_on_care_files_as_team_member(principal: Principal) -> bool:
    """Reaches care files only through their teams: the files whose confirmed team names this person, wherever
    the file is kept, and none other (police, teachers)."""
    return principal.has(Scope.care_files_team) and not principal.has(Scope.care_files_read)


def may_record_care_entry(principal: Principal, *, kind: str, team_roles: frozenset[str]) -> bool:
    """Record an entry of ``kind`` on a file: those who keep files record any kind; a team member records the
    kinds of the roles the file names them in (``team_roles``)."""
    if may_keep_care_files(principal):
        return True
    return principal.has(Scope.care_files_team) and any(
        kind in TEAM_ENTRY_KINDS.get(role, ()) for role in team_roles
    )


# School-kept files (学校一人一档, seed 000: 教育部门要针对“双差生”、“重点生”…建立一人一档关爱档案): a school's staff keep a
# file of their own for a pupil of their school in a school category the school itself sees. 重点生 (key_student)
# is the sensitive class — it says the pupil was admonished or sanctioned, which the school does not see — and
# a pupil so registered has the station's file, opened at registration, on whose team the teacher works.
# Deciding on what the school sees only, a refusal tells the school nothing it did not know.
SCHOOL_FILE_CATEGORIES = frozenset({"dropout", "out_of_school", "double_poor"})

# What a school's staff record on their school-kept file: talks, home visits, school contacts, education, family
# contacts and notes — no urine test, no referral (the station's work).
SCHOOL_FILE_ENTRY_KINDS = frozenset(
    {"talk", "home_visit", "school_contact", "education", "family_contact", "note"}
)


def may_keep_school_files(principal: Principal) -> bool:
    """A school's staff open, lead and record on the school-kept files of their own pupils."""
    return principal.has(Scope.school_files_write)


def keeps_school_file(principal: Principal, *, kept_by_school_id: uuid.UUID | None) -> bool:
    """Whether this file is a school-kept file of the principal's own school, which they keep."""
    return (
        kept_by_school_id is not None
        and may_keep_school_files(principal)
        and principal.unit_id == kept_by_school_id
    )


def qualifies_for_school_file(categories: list[str]) -> bool:
    """A pupil in a school category (辍学, 失学, 双差生) may have a school-kept file."""
    return bool(SCHOOL_FILE_CATEGORIES.intersection(categories))


def may_lead_a_school_file(role: Role) -> bool:
    """Who can be named a school-kept file's lead: the school's staff (for this kind of file only)."""
    return Scope.school_files_write in ROLE_SCOPES[role]


def may_record_on_school_file(
    principal: Principal, *, kind: str, kept_by_school_id: uuid.UUID | None
) -> bool:
    """Record an entry of ``kind`` on a school-kept file: its school's staff, the school's kinds only."""
    return (
        keeps_school_file(principal, kept_by_school_id=kept_by_school_id) and kind in SCHOOL_FILE_ENTRY_KINDS
    )


def assignment_is_confirmed_by(principal: Principal) -> bool:
    """An assignment of responsible people made by a lead needs no further confirmation."""
    return may_decide_for_care_files(principal)


def sees_corrected_versions(principal: Principal) -> bool:
    """Leads and auditors see every version of a corrected timeline entry; workers see the current one."""
    return principal.role in (Role.supervisor, Role.auditor)


def worklists_are_personal(principal: Principal) -> bool:
    """A social worker's due lists are the files naming her; a lead's are her subtree's."""
    return principal.role is Role.caseworker


# --- transfers ----------------------------------------------------------------------------------------------


def may_handle_transfers(principal: Principal) -> bool:
    return principal.has(Scope.transfers_write)


def may_answer_transfer(principal: Principal, *, to_path: str | None) -> bool:
    """Accept or reject: the receiving unit's social workers and leads."""
    return may_handle_transfers(principal) and covers(principal, to_path)


def may_record_delivery(principal: Principal, *, from_path: str | None) -> bool:
    """The written notice reached a place outside the county: the sending unit records it."""
    return may_handle_transfers(principal) and covers(principal, from_path)


def may_renew_delegation(principal: Principal, *, from_path: str | None) -> bool:
    """Move a delegation's last day: the delegating (accountable) unit's social workers and leads."""
    return may_handle_transfers(principal) and covers(principal, from_path)


def may_end_delegation(principal: Principal, *, from_path: str | None, to_path: str | None) -> bool:
    """End a delegation: the social workers and leads of either unit."""
    return may_handle_transfers(principal) and (covers(principal, from_path) or covers(principal, to_path))


def may_cancel_transfer(
    principal: Principal, *, requested_by: uuid.UUID | None, asked_by_a_person: bool, from_path: str | None
) -> bool:
    """The person who asked cancels. A transfer another system started (a police station's notice of a minor
    living outside the county) has no such person: the sending unit's lead cancels it."""
    if not may_handle_transfers(principal):
        return False
    if requested_by == principal.id:
        return True
    return not asked_by_a_person and principal.role is Role.supervisor and covers(principal, from_path)


# --- campaigns ----------------------------------------------------------------------------------------------


def may_issue_campaigns(principal: Principal) -> bool:
    return principal.has(Scope.campaigns_write)


def may_edit_campaign(principal: Principal, *, issuing_unit_id: uuid.UUID) -> bool:
    """A campaign is changed, published and closed — and its reports reviewed — by its issuing unit's leads."""
    return may_issue_campaigns(principal) and principal.unit_id == issuing_unit_id


def may_report_on_task(principal: Principal, *, reporting_unit_id: uuid.UUID) -> bool:
    """A target unit's people report on their own unit's tasks."""
    return principal.has(Scope.task_reports_write) and principal.unit_id == reporting_unit_id


# --- venues and pharmacy checks -----------------------------------------------------------------------------


def may_keep_venues(principal: Principal) -> bool:
    """Venue checkers (stations, police) add venues and record their checks, within their own scope."""
    return principal.has(Scope.venues_write)


def may_record_pharmacy_checks(principal: Principal) -> bool:
    """Stations record the pharmacy checks of their own scope."""
    return principal.has(Scope.pharmacy_checks_write)


# --- assessments --------------------------------------------------------------------------------------------


def may_edit_assessment_scheme(principal: Principal, *, issuing_unit_id: uuid.UUID) -> bool:
    """A scheme is written, run, scored by hand and finalised by its issuing unit's leads."""
    return principal.has(Scope.assessments_write) and principal.unit_id == issuing_unit_id


def reads_all_assessment_results(principal: Principal, *, issuing_path: str | None) -> bool:
    """The issuing subtree's leads and auditors read every unit's result and explanation; anyone else reads
    their own unit's only."""
    return (
        principal.has(Scope.assessments_read)
        and principal.role in (Role.supervisor, Role.auditor)
        and covers(principal, issuing_path)
    )


def reads_assessment_result_of(principal: Principal, *, issuing_path: str | None, unit_id: uuid.UUID) -> bool:
    """One unit's result and the explanation of its figures: that unit's own people, or those who read all."""
    return principal.has(Scope.assessments_read) and (
        principal.unit_id == unit_id or reads_all_assessment_results(principal, issuing_path=issuing_path)
    )


# --- work records ------------------------------------------------------------------------------------------


def may_record_work(principal: Principal, *, record_type: str) -> bool:
    """Stations and the office record every kind of work record for their subtree; a school's staff record
    only the school's own publicity activities (a school inspects no one and issues no responsibility letter)."""
    if not principal.has(Scope.work_records_write):
        return False
    return record_type == "publicity_activity" or principal.role is not Role.school_staff


def may_edit_work_record(principal: Principal, *, record_type: str, recorded_by_unit_id: uuid.UUID) -> bool:
    """A work record is changed, given files and deleted by the unit that recorded it, nobody else."""
    return may_record_work(principal, record_type=record_type) and principal.unit_id == recorded_by_unit_id


def may_mark_rectified(
    principal: Principal, *, inspecting_unit_id: uuid.UUID, inspected_unit_id: uuid.UUID
) -> bool:
    """The inspected unit reports its own rectification done; the inspecting unit may record it too."""
    return principal.has(Scope.work_records_write) and principal.unit_id in (
        inspecting_unit_id,
        inspected_unit_id,
    )
