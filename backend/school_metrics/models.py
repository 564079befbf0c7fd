"""School metrics (学校禁毒教育工作数据): per school and term, as the school or the education bureau reports them.

Every submission is a new revision; the latest one of a school and term is current (``superseded_at`` empty),
the earlier ones are kept as its history.
"""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, new_id, utcnow

# The figures of one school and term, in the order of seed 004's task list.
METRIC_FIELDS = (
    "students_enrolled",
    "students_registered",
    "students_completed",
    "lesson_hours",
    "five_one_activities",
    "exams_with_content",
    "teachers_trained",
)


class SchoolMetric(SQLModel, table=True):
    __tablename__ = "school_metrics"
    __table_args__ = (
        sa.UniqueConstraint("school_id", "term", "revision"),
        sa.Index("ix_school_metrics_term_school_id", "term", "school_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    school_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    term: str = Field(sa_type=sa.String(12), nullable=False)
    revision: int = Field(default=1, nullable=False)
    students_enrolled: int = Field(nullable=False)
    students_registered: int = Field(nullable=False)
    students_completed: int = Field(nullable=False)
    lesson_hours: int = Field(nullable=False)
    five_one_activities: int = Field(nullable=False)
    exams_with_content: int = Field(nullable=False)
    teachers_trained: int = Field(nullable=False)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    submitted_by_kind: str = Field(sa_type=sa.String(10), nullable=False)  # user, client, system
    submitted_by_id: uuid.UUID | None = Field(default=None)
    submitted_by_name: str = Field(sa_type=sa.String(64), nullable=False)
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
