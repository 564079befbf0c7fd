"""At-risk minors (重点未成年人): the registry's table and its codes."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel, col

from backend.db import Versioned, code_column, new_id
from backend.identity import shift_years
from backend.reference import LabelledEnum, reference

# A JSON array column: JSONB on PostgreSQL so that containment filters use a GIN index.
JSON_ARRAY = sa.JSON().with_variant(JSONB(), "postgresql")


@reference("id_document_types")
class IdDocumentType(LabelledEnum):
    mainland_id = ("mainland_id", "居民身份证", "Mainland resident ID card")
    hk_macao_permit = ("hk_macao_permit", "港澳居民居住证/通行证", "Hong Kong / Macao permit")
    taiwan_permit = ("taiwan_permit", "台湾居民居住证/通行证", "Taiwan permit")
    passport = ("passport", "护照", "Passport")
    other = ("other", "其他证件", "Other document")


@reference("genders")
class Gender(LabelledEnum):
    male = ("male", "男", "Male")
    female = ("female", "女", "Female")


@reference("risk_categories")
class RiskCategory(LabelledEnum):
    dropout = ("dropout", "辍学", "Dropped out")
    out_of_school = ("out_of_school", "失学", "Out of school")
    double_poor = ("double_poor", "双差生", "Poor grades and conduct")
    key_student = ("key_student", "重点生（已被训诫/查处）", "Key student (admonished or sanctioned)")
    nps_abuse = ("nps_abuse", "滥用新型成瘾物质", "New psychoactive substance abuse")
    seized_drug_use = ("seized_drug_use", "吸毒被查获", "Seized for drug use")
    left_behind = ("left_behind", "留守儿童", "Left-behind child")
    idle_youth = ("idle_youth", "社会闲散青少年", "Idle youth")
    misconduct = ("misconduct", "不良行为", "Misconduct")
    serious_misconduct = ("serious_misconduct", "严重不良行为", "Serious misconduct")
    family_drug_use = ("family_drug_use", "家庭成员涉毒", "Drug use in the family")


@reference("substances")
class Substance(LabelledEnum):
    etomidate = ("etomidate", "依托咪酯", "Etomidate")
    dextromethorphan = ("dextromethorphan", "右美沙芬", "Dextromethorphan")
    nitrous_oxide = ("nitrous_oxide", "笑气（一氧化二氮）", "Nitrous oxide")
    methamphetamine = ("methamphetamine", "甲基苯丙胺（冰毒）", "Methamphetamine")
    ketamine = ("ketamine", "氯胺酮（K粉）", "Ketamine")
    cannabis = ("cannabis", "大麻", "Cannabis")
    synthetic_cannabinoids = ("synthetic_cannabinoids", "合成大麻素", "Synthetic cannabinoids")
    other = ("other", "其他", "Other")


@reference("risk_levels")
class RiskLevel(LabelledEnum):
    low = ("low", "低风险", "Low")
    medium = ("medium", "中风险", "Medium")
    high = ("high", "高风险", "High")


@reference("minor_statuses")
class MinorStatus(LabelledEnum):
    active = ("active", "在册帮教", "Active")
    transferred_out = ("transferred_out", "已移交", "Transferred out")
    closed = ("closed", "已结案", "Closed")
    aged_out = ("aged_out", "已满18周岁", "Aged out")
    # A provisional record merged into the record of the same person: kept, read-only, out of lists.
    merged = ("merged", "已合并", "Merged")


@reference("verification_statuses")
class VerificationStatus(LabelledEnum):
    """Whether the person's identity document is on record (docs/domain.md, "Registering without an ID")."""

    provisional = ("provisional", "待核实", "Provisional (no ID number yet)")
    verified = ("verified", "已核实", "Verified")
    merged = ("merged", "已合并", "Merged into another record")


@reference("birth_date_precisions")
class BirthDatePrecision(LabelledEnum):
    """How much of a birth date is known: a provisional record may know only the year or the month."""

    day = ("day", "准确日期", "Exact date")
    month = ("month", "仅知年月", "Year and month")
    year = ("year", "仅知年份", "Year only")


@reference("found_by")
class FoundBy(LabelledEnum):
    """How a minor registered without an ID number came to notice."""

    screening = ("screening", "排查", "Screening")
    school_report = ("school_report", "学校报告", "School report")
    parent = ("parent", "家长", "Parent")
    community = ("community", "社区", "Community")
    police = ("police", "公安", "Police")
    other = ("other", "其他", "Other")


@reference("schooling_statuses")
class SchoolingStatus(LabelledEnum):
    in_school = ("in_school", "在校", "In school")
    dropped_out = ("dropped_out", "辍学", "Dropped out")
    out_of_school = ("out_of_school", "失学", "Out of school")
    graduated = ("graduated", "已毕业/结业", "Finished school")
    working = ("working", "就业", "Working")
    unknown = ("unknown", "不详", "Unknown")


@reference("minor_sources")
class MinorSource(LabelledEnum):
    screening = ("screening", "排查摸底", "Screening")
    school_report = ("school_report", "学校报告", "School report")
    seizure_notice = ("seizure_notice", "查获通知", "Seizure notice")
    transfer = ("transfer", "移交接收", "Transfer")
    other = ("other", "其他", "Other")


@reference("guardian_relations")
class GuardianRelation(LabelledEnum):
    father = ("father", "父亲", "Father")
    mother = ("mother", "母亲", "Mother")
    grandparent = ("grandparent", "祖父母/外祖父母", "Grandparent")
    sibling = ("sibling", "兄弟姐妹", "Sibling")
    relative = ("relative", "其他亲属", "Relative")
    guardian = ("guardian", "其他监护人", "Other guardian")


class Minor(Versioned, table=True):
    """One person: the ID number is unique through its keyed hash. Numbers and phones are stored encrypted;
    their masked forms are kept beside them so that lists never decrypt."""

    __tablename__ = "minors"
    __table_args__ = (
        # Containment filters (category, substance) on PostgreSQL; lists are ordered by the last change.
        sa.Index("ix_minors_risk_categories", "risk_categories", postgresql_using="gin"),
        sa.Index("ix_minors_substances", "substances", postgresql_using="gin"),
        sa.Index("ix_minors_managing_unit_id_updated_at", "managing_unit_id", "updated_at"),
        # The default order of lists: a large subtree's newest changes are read off this index backwards.
        sa.Index("ix_minors_updated_at_id", "updated_at", "id"),
        # The few records without an ID number yet (or merged): found without a scan of the registry.
        sa.Index(
            "ix_minors_unverified",
            "verification_status",
            postgresql_where=sa.text("verification_status <> 'verified'"),
            sqlite_where=sa.text("verification_status <> 'verified'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_type=sa.String(50), nullable=False)
    # A provisional record (no ID number yet) has none of the four; the hash stays unique among those that do.
    id_document_type: IdDocumentType | None = code_column(default=None, nullable=True)
    id_number_ciphertext: str | None = Field(default=None, sa_type=sa.String(200), nullable=True)
    id_number_hash: str | None = Field(default=None, sa_type=sa.String(64), nullable=True, unique=True)
    id_number_masked: str | None = Field(default=None, sa_type=sa.String(40), nullable=True)
    gender: Gender = code_column(nullable=False)
    # A provisional record's birth date may be approximate: the first day of the year or month known.
    birth_date: date = Field(nullable=False, index=True)
    birth_date_precision: BirthDatePrecision = code_column(
        default=BirthDatePrecision.day, nullable=False, sa_column_kwargs={"server_default": sa.text("'day'")}
    )
    verification_status: VerificationStatus = code_column(
        default=VerificationStatus.verified,
        nullable=False,
        sa_column_kwargs={"server_default": sa.text("'verified'")},
    )
    found_by: FoundBy | None = code_column(default=None, nullable=True)
    merged_into_id: uuid.UUID | None = Field(default=None, foreign_key="minors.id")
    phone_ciphertext: str | None = Field(default=None, sa_type=sa.String(200))
    phone_masked: str | None = Field(default=None, sa_type=sa.String(20))
    # [{"relation", "name", "phone_ciphertext", "phone_masked"}]
    guardians: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    household_division_code: str | None = Field(default=None, sa_type=sa.String(12))
    household_area: str | None = Field(default=None, sa_type=sa.String(100))
    household_address: str | None = Field(default=None, sa_type=sa.String(200))
    residence_division_code: str | None = Field(default=None, sa_type=sa.String(12), index=True)
    residence_area: str | None = Field(default=None, sa_type=sa.String(100))
    residence_address: str | None = Field(default=None, sa_type=sa.String(200))
    school_id: uuid.UUID | None = Field(default=None, foreign_key="units.id", index=True)
    grade: str | None = Field(default=None, sa_type=sa.String(20))
    schooling_status: SchoolingStatus = code_column(nullable=False)
    risk_categories: list[str] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    substances: list[str] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    risk_level: RiskLevel = code_column(nullable=False)
    managing_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    status: MinorStatus = code_column(nullable=False)
    is_sealed: bool = Field(default=False, nullable=False)
    source: MinorSource = code_column(nullable=False)
    created_by: uuid.UUID | None = Field(default=None)


class MinorCount(SQLModel, table=True):
    """How many minors each unit manages, by status. Kept by database triggers on ``minors`` (see the migration
    that creates this table), whatever code writes the minor, so that the total of a list over a large subtree
    adds up a few dozen rows instead of counting tens of thousands. Internal: never listed by itself."""

    __tablename__ = "minor_counts"

    managing_unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True)
    status: MinorStatus = Field(sa_type=sa.String(40), primary_key=True)
    n: int = Field(nullable=False, default=0)


class TallyRole(StrEnum):
    managing = "managing"
    school = "school"


class TallyKind(StrEnum):
    risk_level = "risk_level"
    risk_category = "risk_category"


class MinorTally(SQLModel, table=True):
    """How many minors each unit manages, and each school has, by status and risk level, and by status and
    risk category. Kept by database triggers on ``minors`` (see the migration that creates this table), so that
    statistics over a county add up counters instead of reading every minor. A unit's minors of one status are
    the sum of its risk-level counters. Confirmed persons are the ``verified`` counters: provisional records
    (no ID number yet) are counted apart (docs/statistics.md). Internal: read only through the statistics'
    scoping."""

    __tablename__ = "minor_tallies"

    unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True)
    unit_role: TallyRole = Field(sa_type=sa.String(20), primary_key=True)
    status: MinorStatus = Field(sa_type=sa.String(40), primary_key=True)
    # Provisional records (待核实) are tallied apart from confirmed persons, merged ones under ``merged``.
    verification_status: VerificationStatus = Field(sa_type=sa.String(20), primary_key=True)
    kind: TallyKind = Field(sa_type=sa.String(20), primary_key=True)
    code: str = Field(sa_type=sa.String(40), primary_key=True)
    n: int = Field(nullable=False, default=0)


class DisclosureKind(StrEnum):
    reveal = "reveal"  # a full identity revealed with a reason
    match_elsewhere = "match_elsewhere"  # a registration told that another unit manages this person


class DisclosureCount(SQLModel, table=True):
    """How many disclosures of one kind a person had on one day (Beijing time). Counted by one atomic upsert
    that refuses to pass the limit, so parallel requests cannot overspend it (docs/privacy.md)."""

    __tablename__ = "disclosure_counts"

    principal_id: uuid.UUID = Field(primary_key=True)
    day: date = Field(primary_key=True)
    kind: DisclosureKind = Field(sa_type=sa.String(20), primary_key=True)
    used: int = Field(nullable=False)


def adult_condition(today: date) -> sa.ColumnElement[bool]:
    """Minors who are 18 or older today: to be closed or handed over."""
    return col(Minor.birth_date) <= shift_years(today, -18)


RISK_ORDER = (RiskLevel.low, RiskLevel.medium, RiskLevel.high)


def raised_risk(level: str) -> RiskLevel:
    """One step up the risk scale (a new seizure raises it), never above high."""
    position = RISK_ORDER.index(RiskLevel(level))
    return RISK_ORDER[min(position + 1, len(RISK_ORDER) - 1)]
