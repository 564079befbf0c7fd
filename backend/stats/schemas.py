"""Statistics answers. Every count of minors is a ``SuppressedCount`` (API.md)."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from backend.school_metrics.schemas import SchoolMetricFigures
from backend.units.schemas import UnitSummary


class SuppressedCount(BaseModel):
    """``{"value": 12}``, or ``{"value": null, "suppressed": true}`` where the count is small or would let a
    small one be recovered."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"value": 12}, {"value": None, "suppressed": True}]}
    )

    value: int | None = Field(examples=[12])
    # Present only on a suppressed count, and then always true.
    suppressed: Annotated[
        Literal[True] | None,
        WithJsonSchema(
            {"type": "boolean", "const": True, "description": "Present (and true) only when hidden"}
        ),
    ] = Field(default=None, exclude_if=lambda value: value is None)


class AtRiskCounts(BaseModel):
    """At-risk minors (active in the registry) by school-visible risk category, and in total. A minor can be in
    several categories, so the categories do not add up to the total."""

    total: SuppressedCount
    by_category: dict[str, SuppressedCount] = Field(
        description="Risk category code (see /api/v1/reference, school-visible ones only) → count"
    )


class StatisticsHeader(BaseModel):
    term: str = Field(examples=["2026-fall"])
    term_label: str = Field(examples=["2026年秋季学期"])
    school_year: str = Field(examples=["2026-2027"])
    unit: UnitSummary = Field(description="The unit whose subtree the figures cover")
    suppression_threshold: int = Field(description="Counts of minors from 1 up to this are suppressed")
    lesson_hours_target_per_school_year: int = Field(examples=[4])
    at_risk_as_of: date = Field(description="At-risk counts are the registry on this day (Asia/Shanghai)")
    categories: list[str] = Field(description="The risk categories counted, in order")


class SchoolStatistics(BaseModel):
    school: UnitSummary
    parent: UnitSummary | None = Field(description="The township (or department) the school sits under")
    metrics: SchoolMetricFigures | None = Field(description="The current figures for the term; null if none")
    submitted_at: datetime | None
    registration_rate: float | None = Field(description="Registered ÷ enrolled, 0..1", examples=[0.99])
    completion_rate: float | None = Field(description="Completed ÷ enrolled, 0..1", examples=[0.958])
    school_year_lesson_hours: int | None = Field(
        description="Lesson hours of the school year up to and including this term"
    )
    lesson_hours_target_met: bool | None = Field(
        description="School-year lesson hours so far reach the yearly target; null without figures"
    )
    at_risk: AtRiskCounts


class RegionStatistics(BaseModel):
    unit: UnitSummary
    parent_id: uuid.UUID | None
    depth: int = Field(description="Levels below the covered unit (0 for itself)")
    schools: int
    schools_reporting: int = Field(description="Schools with figures for the term")
    students_enrolled: int
    students_registered: int
    students_completed: int
    lesson_hours: int
    five_one_activities: int
    exams_with_content: int
    teachers_trained: int
    registration_rate: float | None
    completion_rate: float | None
    schools_meeting_lesson_target: int
    at_risk: AtRiskCounts


class SchoolStatisticsReport(StatisticsHeader):
    items: list[SchoolStatistics]
    totals: RegionStatistics = Field(description="The covered unit as a whole")


class RegionStatisticsReport(StatisticsHeader):
    items: list[RegionStatistics] = Field(
        description="The covered unit, then every unit below it with schools"
    )


class CodeCount(BaseModel):
    code: str
    count: SuppressedCount


class MinorFigures(BaseModel):
    total: SuppressedCount = Field(
        description="Confirmed minors managed in scope (ID number on record), any status; provisional records "
        "(待核实) are counted apart, merged ones not at all"
    )
    by_status: list[CodeCount] = Field(description="Confirmed minors")
    provisional: SuppressedCount = Field(
        description="Minors registered without an ID number yet (待核实): in lists and worklists, not in the "
        "confirmed counts above"
    )
    by_risk_level: list[CodeCount] = Field(description="Active confirmed minors")
    by_category: list[CodeCount] = Field(
        description="Active confirmed minors; one minor may count in several"
    )


class CareFileFigures(BaseModel):
    """Care files managed in scope, with the worklist conditions of ``GET /care-files?due=…``."""

    open: SuppressedCount = Field(description="Files open or with closure requested")
    overdue: SuppressedCount = Field(description="Open files whose next contact is past (lost ones included)")
    lost_contact: SuppressedCount = Field(description="Open files lost from contact (脱失)")


class SeizureMonth(BaseModel):
    month: str = Field(examples=["2026-11"])
    substance: str
    count: SuppressedCount


class MonthCount(BaseModel):
    month: str = Field(examples=["2026-11"], description="A month in Beijing time")
    count: SuppressedCount


class SeizureFigures(BaseModel):
    """Seizure notices routed into the scope (received by a unit in it), the last 12 months in Beijing time."""

    by_month: list[MonthCount] = Field(
        default_factory=list, description="Notices per month, oldest first, 12 entries"
    )
    last_12_months: list[SeizureMonth] = Field(
        description="Notices per month and substance (a notice counts once per substance it names); empty "
        "for callers who may not see the substances. Sealed records are left out of this breakdown."
    )


class TransferFigures(BaseModel):
    pending_incoming: SuppressedCount = Field(description="Transfers under way to a unit in scope")
    pending_outgoing: SuppressedCount = Field(description="Transfers under way from a unit in scope")


class CampaignFigures(BaseModel):
    """Published campaigns the scope issued or was sent, and their task reports the caller may read. Counts of
    units' tasks, not of minors: never suppressed."""

    campaigns_open: int = Field(description="Published, not closed")
    tasks_total: int = Field(description="Task reports of those campaigns (a unit × a task)")
    tasks_approved: int
    completion_rate: float | None = Field(description="Approved ÷ all reports, 0..1; null without reports")


class Overview(BaseModel):
    """Dashboard figures for the principal's scope. A section is null when the caller cannot reach that module
    (no seizures for auditors)."""

    unit: UnitSummary
    as_of: date
    suppression_threshold: int
    suppressed: bool = Field(description="Whether small counts are suppressed for this caller")
    minors: MinorFigures
    care_files: CareFileFigures | None = Field(default=None, description="Null without `care_files:read`")
    seizures: SeizureFigures | None = Field(default=None, description="Null without `seizures:read`")
    transfers: TransferFigures | None = Field(default=None, description="Null without `transfers:read`")
    campaigns: CampaignFigures | None = Field(default=None, description="Null without `campaigns:read`")


class RatePeriod(BaseModel):
    start: date = Field(description="First day (Beijing time), included")
    end: date = Field(description="Last day, included")
    as_of: date = Field(description="The day the figures stop at: the end, or today if the period runs on")


class RateCell(BaseModel):
    """A rate's figures for a unit's subtree. All three are null (and ``suppressed`` true) where a count is
    small or would let a small one be worked out."""

    numerator: int | None
    denominator: int | None
    value: float | None = Field(description="Numerator ÷ denominator, 0..1; the count for lost_contact_count")
    suppressed: Annotated[
        Literal[True] | None,
        WithJsonSchema(
            {"type": "boolean", "const": True, "description": "Present (and true) only when hidden"}
        ),
    ] = Field(default=None, exclude_if=lambda value: value is None)


class UnitRates(BaseModel):
    unit_id: uuid.UUID
    unit_name: str
    kind: str = Field(examples=["township"])
    parent_id: uuid.UUID | None
    rates: dict[str, RateCell] = Field(
        description="care_rate, urine_test_rate, overdue_share, lost_contact_count, notice_same_day_rate, "
        "responsible_share (docs/statistics.md, Rates)"
    )


class RatesReport(BaseModel):
    """The caller's unit (or ``unit_id``) and each unit below it down to the townships, each rolled up over its
    whole subtree. Aggregates only."""

    period: RatePeriod
    suppression_threshold: int
    codes: list[str] = Field(description="The rates, in order")
    units: list[UnitRates]
