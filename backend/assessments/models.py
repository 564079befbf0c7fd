"""Assessments (考核): schemes that say how units are scored, and runs that score them as of a cut-off.

A scheme's indicators, veto items, grades and call-in rule are kept as validated JSON on the scheme (they are
read and written as one document by the scheme editor); a run copies them, so a run is explained by what it
was computed with even after the scheme changes. Each figure keeps its inputs (numerator, denominator and the
ids behind them), so a score can be explained and recomputed.
"""

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, Versioned, code_column, new_id, utcnow
from backend.reference import LabelledEnum, reference


@reference("assessment_run_statuses")
class RunStatus(LabelledEnum):
    computed = ("computed", "已计算", "Computed")
    finalised = ("finalised", "已定稿", "Finalised")


@reference("assessment_sources")
class IndicatorSource(LabelledEnum):
    campaign = ("campaign", "专项行动任务", "Campaign tasks")
    rate = ("rate", "工作比率", "A rate")
    work_records = ("work_records", "工作台账", "Work records")
    manual = ("manual", "人工评分", "Scored by hand")


@reference("assessment_veto_kinds")
class VetoKind(LabelledEnum):
    lost_contact_over_days = (
        "lost_contact_over_days",
        "重点未成年人脱失超过规定天数",
        "Lost contact too long",
    )
    notice_unacknowledged_over_days = (
        "notice_unacknowledged_over_days",
        "查获通知超过规定天数未签收",
        "Seizure notice unacknowledged too long",
    )
    manual = ("manual", "人工认定", "Set by hand")


class AssessmentScheme(Versioned, table=True):
    """A scheme (考核方案) issued by a unit: the units it assesses, its indicators and veto items."""

    __tablename__ = "assessment_schemes"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    issuing_unit_id: uuid.UUID = Field(foreign_key="units.id", index=True, nullable=False)
    name: str = Field(sa_type=sa.String(200), nullable=False)
    period_start: date = Field(nullable=False)
    period_end: date = Field(nullable=False)
    # The assessed units: units of these kinds at or below the root unit.
    unit_root_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    unit_kinds: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    # [{"label": "优秀", "min_score": 90}, ...] from the best grade down; the last is the failing grade.
    grades: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    pass_rate_target: float | None = Field(default=None)
    indicators: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    vetoes: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    # {"bottom_n": 2, "below_score": 70}: who is called in (约谈).
    call_in: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    created_by_id: uuid.UUID | None = Field(default=None)


class AssessmentRun(Versioned, table=True):
    """One computation of a scheme as of a cut-off day, with the scheme's rules as they were then."""

    __tablename__ = "assessment_runs"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    scheme_id: uuid.UUID = Field(foreign_key="assessment_schemes.id", index=True, nullable=False)
    cut_off: date = Field(nullable=False)
    status: str = code_column(default="computed", nullable=False)
    # The scheme's rules (period, units, grades, indicators, vetoes, call-in) as computed.
    rules: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON, nullable=False)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    computed_by_id: uuid.UUID | None = Field(default=None)
    finalised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finalised_by_id: uuid.UUID | None = Field(default=None)


class AssessmentFigure(SQLModel, table=True):
    """One indicator of one unit in one run: the inputs, the computed score and any adjustment by hand."""

    __tablename__ = "assessment_figures"

    run_id: uuid.UUID = Field(foreign_key="assessment_runs.id", primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True, index=True)
    indicator: str = Field(sa_type=sa.String(40), primary_key=True)
    numerator: float | None = Field(default=None)
    denominator: float | None = Field(default=None)
    value: float | None = Field(default=None)
    # The kind of record the ids name: minor, task, seizure_notice, publicity_activity, inspection_visit, ...
    ids_kind: str | None = Field(default=None, sa_type=sa.String(40))
    ids: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    computed_score: float | None = Field(default=None)
    adjusted_score: float | None = Field(default=None)
    reason: str | None = Field(default=None, sa_type=sa.String(500))
    adjusted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    adjusted_by_id: uuid.UUID | None = Field(default=None)


class AssessmentVetoHit(SQLModel, table=True):
    """A veto item that struck a unit in a run (computed, with the ids behind it, or set by hand)."""

    __tablename__ = "assessment_veto_hits"

    run_id: uuid.UUID = Field(foreign_key="assessment_runs.id", primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True, index=True)
    veto: str = Field(sa_type=sa.String(40), primary_key=True)
    ids_kind: str | None = Field(default=None, sa_type=sa.String(40))
    ids: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    reason: str | None = Field(default=None, sa_type=sa.String(500))
    set_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    set_by_id: uuid.UUID | None = Field(default=None)
