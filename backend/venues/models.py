"""Venues (重点场所) and their checks, and pharmacy checks (右美沙芬处方药品使用情况排查): seed 000's annexes
(二) 新型毒品、新型成瘾物质隐患排查表 and (三) 右美沙芬处方药品使用情况排查表.

A venue belongs to the unit responsible for it (``unit_id``); its checks are read through it. A pharmacy check
belongs to the unit that made it. Neither names a minor: a pharmacy check records a buyer's age band only.
"""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, Versioned, code_column, new_id, utcnow
from backend.reference import LabelledEnum, reference


@reference("venue_kinds")
class VenueKind(LabelledEnum):
    ktv = ("ktv", "KTV", "KTV")
    internet_cafe = ("internet_cafe", "网吧", "Internet café")
    bar = ("bar", "酒吧", "Bar")
    small_shop = ("small_shop", "学校周边小卖部", "Small shop near a school")
    other = ("other", "其他场所", "Other")


@reference("venue_statuses")
class VenueStatus(LabelledEnum):
    active = ("active", "正常经营", "Open")
    rectifying = ("rectifying", "整改中", "Being put right")
    closed = ("closed", "已关停", "Closed")


@reference("buyer_age_bands")
class BuyerAgeBand(LabelledEnum):
    under_14 = ("under_14", "未满14周岁", "Under 14")
    age_14_15 = ("14_15", "14至15周岁", "14 to 15")
    age_16_17 = ("16_17", "16至17周岁", "16 to 17")
    adult = ("adult", "成年人", "Adult")


class Venue(Versioned, table=True):
    """A place whose drug hazards are checked: a KTV, an internet café, a bar, a small shop near a school."""

    __tablename__ = "venues"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="units.id", index=True, nullable=False)  # the unit responsible
    name: str = Field(sa_type=sa.String(200), nullable=False)
    kind: str = code_column(nullable=False, index=True)
    address: str | None = Field(default=None, sa_type=sa.String(300))
    near_school: bool = Field(default=False, nullable=False)
    school_id: uuid.UUID | None = Field(default=None, foreign_key="units.id")
    status: str = code_column(default="active", nullable=False)
    note: str | None = Field(default=None, sa_type=sa.Text)
    # The newest check's date and follow-up, kept with each check so that lists filter without a join.
    last_checked_on: date | None = Field(default=None)
    follow_up_on: date | None = Field(default=None, index=True)
    created_by_id: uuid.UUID | None = Field(default=None)


class VenueCheck(SQLModel, table=True):
    """One check of a venue (隐患排查): what was found, what was done, when to look again."""

    __tablename__ = "venue_checks"
    __table_args__ = (sa.Index("ix_venue_checks_venue_id_checked_on", "venue_id", "checked_on"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    venue_id: uuid.UUID = Field(foreign_key="venues.id", nullable=False)
    checked_on: date = Field(nullable=False)
    findings: str = Field(sa_type=sa.Text, nullable=False)
    hazard_found: bool = Field(default=False, nullable=False)
    measures: str | None = Field(default=None, sa_type=sa.Text)
    follow_up_on: date | None = Field(default=None)
    checked_by_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    checked_by_name: str = Field(sa_type=sa.String(100), nullable=False)
    recorded_by_id: uuid.UUID | None = Field(default=None)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VenueCheckEvidence(SQLModel, table=True):
    """A photo or document of a check, kept in the file store (backend/storage.py)."""

    __tablename__ = "venue_check_evidence"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    venue_check_id: uuid.UUID = Field(foreign_key="venue_checks.id", index=True, nullable=False)
    storage_key: str = Field(sa_type=sa.String(200), nullable=False)
    filename: str = Field(sa_type=sa.String(200), nullable=False)
    media_type: str = Field(sa_type=sa.String(120), nullable=False)
    size: int = Field(nullable=False)
    sha256: str = Field(sa_type=sa.String(64), nullable=False)
    uploaded_by_id: uuid.UUID | None = Field(default=None)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class PharmacyCheck(Versioned, table=True):
    """One line of the 右美沙芬 form: a pharmacy's sale of dextromethorphan, and whether a prescription was seen."""

    __tablename__ = "pharmacy_checks"
    __table_args__ = (sa.Index("ix_pharmacy_checks_unit_id_checked_on", "unit_id", "checked_on"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    pharmacy_name: str = Field(sa_type=sa.String(200), nullable=False)
    licence_number: str | None = Field(default=None, sa_type=sa.String(100))
    address: str | None = Field(default=None, sa_type=sa.String(300))
    checked_on: date = Field(nullable=False)
    buyer_age_band: str | None = code_column(default=None)
    quantity: int | None = Field(default=None)
    prescription_seen: bool = Field(nullable=False)
    notes: str | None = Field(default=None, sa_type=sa.Text)
    checked_by_name: str = Field(sa_type=sa.String(100), nullable=False)
    recorded_by_id: uuid.UUID | None = Field(default=None)
