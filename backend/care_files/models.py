"""Care files (关爱帮教档案): one open file per minor, its plan, its responsible people and its timeline."""

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, Versioned, code_column, new_id, utcnow
from backend.minors.models import JSON_ARRAY
from backend.reference import LabelledEnum, reference


@reference("care_file_statuses")
class CareFileStatus(LabelledEnum):
    open = ("open", "帮教中", "Open")
    closure_requested = ("closure_requested", "申请结案", "Closure requested")
    closed = ("closed", "已结案", "Closed")


@reference("closure_reasons")
class ClosureReason(LabelledEnum):
    stable = ("stable", "帮教期满表现良好", "Care period ended, doing well")
    aged_out = ("aged_out", "年满18周岁", "Turned 18")
    moved_out = ("moved_out", "迁出/移交", "Moved out or handed over")
    deceased = ("deceased", "死亡", "Deceased")
    other = ("other", "其他", "Other")


@reference("care_entry_kinds")
class EntryKind(LabelledEnum):
    talk = ("talk", "谈心谈话", "Talk")
    home_visit = ("home_visit", "家访", "Home visit")
    education = ("education", "毒品预防教育", "Drug-prevention education")
    urine_test = ("urine_test", "尿检", "Urine test")
    family_contact = ("family_contact", "家庭联系", "Family contact")
    school_contact = ("school_contact", "学校联系", "School contact")
    referral = ("referral", "转介", "Referral")
    note = ("note", "备注", "Note")


# A note records something; every other kind is an attempt to reach the minor.
CONTACT_KINDS = frozenset(kind for kind in EntryKind if kind is not EntryKind.note)


@reference("urine_test_results")
class UrineResult(LabelledEnum):
    negative = ("negative", "阴性", "Negative")
    positive = ("positive", "阳性", "Positive")
    refused = ("refused", "拒绝检测", "Refused")


@reference("referral_kinds")
class ReferralKind(LabelledEnum):
    job = ("job", "就业帮扶", "Job")
    assistance = ("assistance", "生活救助", "Assistance")
    counselling = ("counselling", "心理咨询", "Counselling")
    medical = ("medical", "医疗戒治", "Medical")


@reference("care_team_roles")
class TeamRole(LabelledEnum):
    lead_worker = ("lead_worker", "帮教社工（主责）", "Lead social worker")
    police_officer = ("police_officer", "社区民警", "Community police officer")
    teacher = ("teacher", "学校老师", "Teacher")
    village_cadre = ("village_cadre", "村（社区）干部", "Village cadre")
    family_member = ("family_member", "家庭成员", "Family member")


@reference("care_file_triggers")
class CareTrigger(LabelledEnum):
    manual = ("manual", "人工建档", "Opened by hand")
    registration = ("registration", "登记（涉毒类别）", "Registration in a sensitive category")
    seizure_notice = ("seizure_notice", "查获通知", "Seizure notice")
    transfer = ("transfer", "移交接收", "Transfer accepted")
    school = ("school", "学校一人一档", "Kept by the school")


@reference("care_due_states")
class DueState(LabelledEnum):
    due_soon = ("due_soon", "即将到期", "Due soon")
    overdue = ("overdue", "已逾期", "Overdue")
    lost_contact = ("lost_contact", "脱失（失联）", "Lost contact")


OPEN_STATUSES = (CareFileStatus.open.value, CareFileStatus.closure_requested.value)
# The open files' partial index for the worklists, and the columns their conditions read beside its keys.
OPEN_FILES_PREDICATE = "status IN ('open', 'closure_requested')"
WORKLIST_COLUMNS = (
    "status",
    "lost_contact_on",
    "failed_attempts",
    "lead_worker_id",
    "alert",
    "kept_by_school_id",
)


class CareFile(Versioned, table=True):
    """A minor's file. ``last_contact_on``, ``next_due_on``, ``lost_contact_on`` and ``failed_attempts`` are
    derived from the timeline and the plan, recomputed on every change, so worklists are indexed range
    scans."""

    __tablename__ = "care_files"
    __table_args__ = (
        # Every read of files asks "delegated by my subtree?" beside "managed in it": the few delegated files
        # are found by this index instead of a scan.
        sa.Index(
            "ix_care_files_accountable_unit_id",
            "accountable_unit_id",
            postgresql_where=sa.text("accountable_unit_id IS NOT NULL"),
            sqlite_where=sa.text("accountable_unit_id IS NOT NULL"),
        ),
        # At most one station file per minor that is not closed, and at most one school-kept file beside it:
        # the database says so, not only the code.
        sa.Index(
            "ix_care_files_one_open_per_minor",
            "minor_id",
            unique=True,
            postgresql_where=sa.text("status <> 'closed' AND kept_by_school_id IS NULL"),
            sqlite_where=sa.text("status <> 'closed' AND kept_by_school_id IS NULL"),
        ),
        sa.Index(
            "ix_care_files_one_open_school_file_per_minor",
            "minor_id",
            unique=True,
            postgresql_where=sa.text("status <> 'closed' AND kept_by_school_id IS NOT NULL"),
            sqlite_where=sa.text("status <> 'closed' AND kept_by_school_id IS NOT NULL"),
        ),
        # Every file of given minors, closed ones too (the follow-up facts of a page of seizure notices).
        sa.Index("ix_care_files_minor_id", "minor_id"),
        # The overdue and due-soon worklists: a unit, then a range of due dates.
        sa.Index("ix_care_files_managing_unit_id_next_due_on", "managing_unit_id", "next_due_on"),
        sa.Index("ix_care_files_responsible_user_ids", "responsible_user_ids", postgresql_using="gin"),
        # The to-do centre's worklists of open files (``worklist_query``), answered from the index alone on
        # PostgreSQL: a unit's open files in due order, with every column their conditions read.
        sa.Index(
            "ix_care_files_open_worklists",
            "managing_unit_id",
            "next_due_on",
            "id",
            postgresql_include=list(WORKLIST_COLUMNS),
            postgresql_where=sa.text(OPEN_FILES_PREDICATE),
            sqlite_where=sa.text(OPEN_FILES_PREDICATE),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    minor_id: uuid.UUID = Field(foreign_key="minors.id", nullable=False)
    managing_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    status: CareFileStatus = code_column(nullable=False)
    trigger: CareTrigger = code_column(nullable=False)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    opened_by: uuid.UUID | None = Field(default=None)
    reopened_count: int = Field(default=0, nullable=False)
    # The responsible people. The lead social worker is a user; the others are users or named outsiders.
    lead_worker_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # [{"role", "user_id", "name", "organisation"}]
    # Under a delegation (委托管理): the household-registration unit that stays accountable and keeps reading the
    # file while the managing (residence) unit does the work. Null otherwise.
    accountable_unit_id: uuid.UUID | None = Field(default=None, foreign_key="units.id")
    # A school-kept file (一人一档 of a 双差生 or 重点生, seed 000): the pupil's school, whose staff keep and lead it
    # beside any file of the station; the managing unit is the pupil's station, which sees that it exists.
    # Null for the station's own files.
    kept_by_school_id: uuid.UUID | None = Field(default=None, foreign_key="units.id")
    team: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    # Lead and team users, as strings: "files I am responsible for" is one containment test.
    responsible_user_ids: list[str] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    # Those of them whose assignment a lead made or confirmed: only they see the minor's identity in full
    # (docs/privacy.md). A social worker who names herself waits for a lead like anyone else.
    confirmed_responsible_ids: list[str] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    goals: str = Field(default="", sa_type=sa.Text, nullable=False)
    measures: str = Field(default="", sa_type=sa.Text, nullable=False)
    interval_days: int = Field(nullable=False)
    # Urine tests the plan requires: one every this many days; null when the plan requires none (尿检率).
    urine_test_interval_days: int | None = Field(default=None)
    last_contact_on: date | None = Field(default=None)
    next_due_on: date = Field(nullable=False)
    lost_contact_on: date = Field(nullable=False)
    failed_attempts: int = Field(default=0, nullable=False)
    alert: str | None = Field(default=None, sa_type=sa.String(40))
    alert_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closure_reason: ClosureReason | None = code_column(default=None)
    closure_note: str | None = Field(default=None, sa_type=sa.String(500))
    closure_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closure_requested_by: uuid.UUID | None = Field(default=None)
    closure_decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closure_decided_by: uuid.UUID | None = Field(default=None)
    closure_comment: str | None = Field(default=None, sa_type=sa.String(500))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CareEntry(SQLModel, table=True):
    """One timeline entry, written once. A correction is a new entry naming the one it corrects."""

    __tablename__ = "care_entries"
    __table_args__ = (sa.Index("ix_care_entries_care_file_id_occurred_at", "care_file_id", "occurred_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    care_file_id: uuid.UUID = Field(foreign_key="care_files.id", nullable=False)
    kind: EntryKind = code_column(nullable=False)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_name: str = Field(sa_type=sa.String(100), nullable=False)
    summary: str = Field(sa_type=sa.Text, nullable=False)
    contact_succeeded: bool = Field(default=True, nullable=False)
    urine_result: UrineResult | None = code_column(default=None)
    referral_kind: ReferralKind | None = code_column(default=None)
    next_due_on: date | None = Field(default=None)
    # Unique: an entry is corrected once; a further correction corrects the correction.
    corrects_id: uuid.UUID | None = Field(default=None, foreign_key="care_entries.id", unique=True)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CareFileYear(SQLModel, table=True):
    """A care file's timeline summed per Beijing calendar month, a row per file and year, so the rates
    (``backend/stats/rates.py``) read a row or two per file instead of every entry. Kept by a database trigger on
    ``care_entries`` (migration ``2026_12_02_1300_care_file_years``), whichever code writes an entry: an entry
    adds itself to its month, a correction also takes back the entry it corrects. ``contacts_MM``: contacts made
    in month MM (CONTACT_KINDS with contact_succeeded); ``urine_tests_MM``: urine tests done (negative or
    positive)."""

    __tablename__ = "care_file_years"

    care_file_id: uuid.UUID = Field(foreign_key="care_files.id", primary_key=True)
    year: int = Field(primary_key=True)
    contacts_01: int = Field(default=0, nullable=False)
    contacts_02: int = Field(default=0, nullable=False)
    contacts_03: int = Field(default=0, nullable=False)
    contacts_04: int = Field(default=0, nullable=False)
    contacts_05: int = Field(default=0, nullable=False)
    contacts_06: int = Field(default=0, nullable=False)
    contacts_07: int = Field(default=0, nullable=False)
    contacts_08: int = Field(default=0, nullable=False)
    contacts_09: int = Field(default=0, nullable=False)
    contacts_10: int = Field(default=0, nullable=False)
    contacts_11: int = Field(default=0, nullable=False)
    contacts_12: int = Field(default=0, nullable=False)
    urine_tests_01: int = Field(default=0, nullable=False)
    urine_tests_02: int = Field(default=0, nullable=False)
    urine_tests_03: int = Field(default=0, nullable=False)
    urine_tests_04: int = Field(default=0, nullable=False)
    urine_tests_05: int = Field(default=0, nullable=False)
    urine_tests_06: int = Field(default=0, nullable=False)
    urine_tests_07: int = Field(default=0, nullable=False)
    urine_tests_08: int = Field(default=0, nullable=False)
    urine_tests_09: int = Field(default=0, nullable=False)
    urine_tests_10: int = Field(default=0, nullable=False)
    urine_tests_11: int = Field(default=0, nullable=False)
    urine_tests_12: int = Field(default=0, nullable=False)


class CareSettings(SQLModel, table=True):
    """Default follow-up intervals per risk level, set by a lead for a unit and the units below it."""

    __tablename__ = "care_settings"

    unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True)
    interval_low: int = Field(nullable=False)
    interval_medium: int = Field(nullable=False)
    interval_high: int = Field(nullable=False)
    version: int = Field(default=1, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_by: uuid.UUID | None = Field(default=None)


class CareDuty(SQLModel, table=True):
    """The social worker on duty for a unit: files the unit is given automatically (a seizure notice, a
    registration in a sensitive category, a transfer accepted) name them as lead worker until a lead assigns
    someone else. Set by a lead; one per unit."""

    __tablename__ = "care_duty"

    unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_by: uuid.UUID | None = Field(default=None)
