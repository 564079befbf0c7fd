import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from backend.terms import TermCode
from backend.units.schemas import UnitSummary

Figure = Annotated[int, Field(ge=0, le=1_000_000)]


class SchoolMetricFigures(BaseModel):
    """The figures of one school and term (seed 004): the platform is 青少年毒品预防教育数字化平台."""

    students_enrolled: Figure = Field(description="Students enrolled (在校学生数)", examples=[1200])
    students_registered: Figure = Field(
        description="Students registered on the national platform (平台注册人数); at most enrolled",
        examples=[1188],
    )
    students_completed: Figure = Field(
        description="Students who completed the platform's course (完成学习人数); at most registered",
        examples=[1150],
    )
    lesson_hours: Figure = Field(
        description="Drug-prevention lesson hours delivered (专题课时)", examples=[2]
    )
    five_one_activities: Figure = Field(description='"五个一" activities held', examples=[3])
    exams_with_content: Figure = Field(
        description="Exams with drug-prevention content (期末考试含禁毒内容的科目/场次)", examples=[1]
    )
    teachers_trained: Figure = Field(description="Teachers trained (禁毒师资培训人数)", examples=[6])


class SchoolMetricRow(SchoolMetricFigures):
    school_id: uuid.UUID | None = Field(
        default=None, description="The school; school staff may leave it out for their own school"
    )


class SchoolMetricBatch(BaseModel):
    """One school's figures (school staff) or many schools' at once (the education bureau): all or nothing."""

    term: TermCode
    rows: list[SchoolMetricRow] = Field(min_length=1, max_length=5000)


class SchoolMetricRead(SchoolMetricFigures):
    id: uuid.UUID
    school: UnitSummary
    term: str
    term_label: str = Field(examples=["2026年秋季学期"])
    revision: int = Field(description="1 for the first submission of this school and term, then 2, 3 …")
    is_current: bool = Field(description="False for a revision replaced by a later submission")
    submitted_at: datetime
    submitted_by: str = Field(description="The username or client id that submitted it")
    submitted_by_kind: Literal["user", "client", "system"] = Field(
        description="A person, a machine client, or the system (figures loaded with the demo county)"
    )
    submitted_by_display: str | None = Field(
        description="The person's display name or the client's name as they are now; null for the system",
        examples=["王老师"],
    )
    superseded_at: datetime | None


class SchoolMetricBatchResult(BaseModel):
    term: str
    term_label: str
    accepted: int
    rows: list[SchoolMetricRead]
