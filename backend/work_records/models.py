"""Work records that assessments score from: publicity activities, inspection visits, responsibility letters.

Each record names the unit it is about (the activity's holder, the inspected unit, the letter's signer): that
unit's path decides who reads it (the subtrees above it), and ``recorded_by_unit_id`` the one unit that edits and
deletes it. Files (photos, scans) sit in the evidence store, listed in ``work_record_files``.
"""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, Versioned, code_column, new_id, utcnow
from backend.reference import LabelledEnum, reference


@reference("publicity_kinds")
class PublicityKind(LabelledEnum):
    six_entries = ("six_entries", "禁毒宣传“六进”", "Six entries")
    june_26 = ("june_26", "“6·26”国际禁毒日", "26 June (International Day against Drug Abuse)")
    publicity_vehicle = ("publicity_vehicle", "禁毒宣传车", "Publicity vehicle")
    lecture = ("lecture", "专题讲座", "Lecture")
    other = ("other", "其他", "Other")


@reference("inspection_kinds")
class InspectionKind(LabelledEnum):
    supervision = ("supervision", "督导检查", "Supervision")
    unannounced = ("unannounced", "明察暗访", "Unannounced visit")


@reference("work_record_types")
class WorkRecordType(LabelledEnum):
    publicity_activity = ("publicity_activity", "宣传教育活动", "Publicity activity")
    inspection_visit = ("inspection_visit", "督导检查", "Inspection visit")
    responsibility_letter = ("responsibility_letter", "禁毒责任书", "Responsibility letter")


class PublicityActivity(Versioned, table=True):
    """A publicity and education activity (宣传教育活动) a unit held."""

    __tablename__ = "publicity_activities"
    __table_args__ = (sa.Index("ix_publicity_activities_unit_id_held_on", "unit_id", "held_on"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    kind: str = code_column(nullable=False)
    held_on: date = Field(nullable=False)
    place: str = Field(sa_type=sa.String(200), nullable=False)
    participants: int = Field(default=0, nullable=False)
    materials: int = Field(default=0, nullable=False)
    description: str | None = Field(default=None, sa_type=sa.Text)
    recorded_by_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    created_by_id: uuid.UUID | None = Field(default=None)


class InspectionVisit(Versioned, table=True):
    """A supervision visit or an unannounced check (督导检查 / 明察暗访) of a unit below the inspecting one."""

    __tablename__ = "inspection_visits"
    __table_args__ = (
        sa.Index("ix_inspection_visits_inspected_unit_id_visited_on", "inspected_unit_id", "visited_on"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = code_column(nullable=False)
    inspecting_unit_id: uuid.UUID = Field(foreign_key="units.id", index=True, nullable=False)
    inspected_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    visited_on: date = Field(nullable=False)
    findings: str | None = Field(default=None, sa_type=sa.Text)
    rectification: str | None = Field(default=None, sa_type=sa.Text)
    rectify_by: date | None = Field(default=None)
    rectified: bool = Field(default=False, nullable=False)
    rectified_on: date | None = Field(default=None)
    recorded_by_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    created_by_id: uuid.UUID | None = Field(default=None)


class ResponsibilityLetter(Versioned, table=True):
    """A responsibility letter (禁毒责任书): the issuing unit signed it with a unit below it for a year."""

    __tablename__ = "responsibility_letters"
    __table_args__ = (sa.Index("ix_responsibility_letters_signer_unit_id_year", "signer_unit_id", "year"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    year: int = Field(nullable=False)
    issuer_unit_id: uuid.UUID = Field(foreign_key="units.id", index=True, nullable=False)
    signer_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    signed_on: date | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=sa.String(1000))
    recorded_by_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    created_by_id: uuid.UUID | None = Field(default=None)


class WorkRecordFile(SQLModel, table=True):
    """A photo or scan attached to a work record; the content lives in the file store under ``storage_key``."""

    __tablename__ = "work_record_files"
    __table_args__ = (sa.Index("ix_work_record_files_record_type_record_id", "record_type", "record_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    record_type: str = code_column(nullable=False)
    record_id: uuid.UUID = Field(nullable=False)
    storage_key: str = Field(sa_type=sa.String(64), nullable=False, unique=True)
    filename: str = Field(sa_type=sa.String(255), nullable=False)
    media_type: str = Field(sa_type=sa.String(100), nullable=False)
    size: int = Field(nullable=False)
    sha256: str = Field(sa_type=sa.String(64), nullable=False)
    uploaded_by_id: uuid.UUID | None = Field(default=None)
    uploaded_by_name: str = Field(sa_type=sa.String(100), nullable=False)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
