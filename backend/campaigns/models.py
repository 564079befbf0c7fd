import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, Versioned, code_column, new_id, utcnow
from backend.reference import LabelledEnum, reference


@reference("campaign_statuses")
class CampaignStatus(LabelledEnum):
    draft = ("draft", "草稿", "Draft")
    published = ("published", "已发布", "Published")
    closed = ("closed", "已结束", "Closed")


@reference("task_measures")
class TaskMeasure(LabelledEnum):
    done = ("done", "是否完成", "Done or not")
    # The API's code is "count"; as an enum member of a str enum it shadows ``str.count``, which nothing calls.
    count = ("count", "数量", "Count")  # type: ignore[assignment]
    rate = ("rate", "比率（%）", "Rate (%)")


@reference("task_comparators")
class Comparator(LabelledEnum):
    gte = ("gte", "不少于", "At least")
    lte = ("lte", "不超过", "At most")
    eq = ("eq", "等于", "Exactly")


@reference("campaign_phases")
class CampaignPhase(LabelledEnum):
    """The stages a work plan runs through; a phase of a campaign and each of its tasks name one."""

    mobilisation = ("mobilisation", "动员部署", "Mobilisation")
    implementation = ("implementation", "组织实施", "Implementation")
    evaluation = ("evaluation", "总结评价", "Evaluation")


@reference("task_report_statuses")
class TaskReportStatus(LabelledEnum):
    not_started = ("not_started", "未开始", "Not started")
    in_progress = ("in_progress", "填报中", "In progress")
    submitted = ("submitted", "已提交", "Submitted")
    returned = ("returned", "已退回", "Returned")
    approved = ("approved", "已通过", "Approved")


@reference("task_report_actions")
class TaskReportAction(LabelledEnum):
    saved = ("saved", "填报", "Saved")
    submitted = ("submitted", "提交", "Submitted")
    returned = ("returned", "退回", "Returned")
    approved = ("approved", "通过", "Approved")
    evidence_added = ("evidence_added", "上传佐证材料", "Evidence uploaded")
    evidence_removed = ("evidence_removed", "删除佐证材料", "Evidence removed")


class Campaign(Versioned, table=True):
    """A work plan (工作方案) issued by a unit, with phases, a task checklist and target units."""

    __tablename__ = "campaigns"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    issuing_unit_id: uuid.UUID = Field(foreign_key="units.id", index=True, nullable=False)
    title: str = Field(sa_type=sa.String(200), nullable=False)
    document_number: str | None = Field(default=None, sa_type=sa.String(100))
    issue_date: date | None = Field(default=None)
    description: str | None = Field(default=None, sa_type=sa.Text)
    # [{"name": "动员部署", "start": "2026-09-01", "end": "2026-10-31"}, ...]
    phases: list[dict[str, Any]] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    report_deadline: date | None = Field(default=None)
    # Targets as chosen: unit kinds under a subtree, plus individual units; resolved into campaign_targets.
    target_kinds: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    target_root_id: uuid.UUID | None = Field(default=None, foreign_key="units.id")
    target_unit_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    status: str = code_column(default="draft", nullable=False, index=True)
    copied_from_id: uuid.UUID | None = Field(default=None, foreign_key="campaigns.id")
    created_by_id: uuid.UUID | None = Field(default=None)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CampaignTask(SQLModel, table=True):
    """One line of the checklist (任务清单)."""

    __tablename__ = "campaign_tasks"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "position"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True, nullable=False)
    position: int = Field(nullable=False)
    title: str = Field(sa_type=sa.String(500), nullable=False)  # 具体任务
    evidence_required: str | None = Field(default=None, sa_type=sa.String(500))  # 考核内容
    responsible_department: str | None = Field(default=None, sa_type=sa.String(200))  # 责任科室
    measure: str = code_column(nullable=False)
    target: float | None = Field(default=None)
    comparator: str | None = Field(default=None, sa_type=sa.String(40))
    weight: float | None = Field(default=None)
    due_date: date | None = Field(default=None)
    phase: str | None = code_column(default=None)  # a CampaignPhase code among the campaign's phases


class CampaignTarget(SQLModel, table=True):
    """A unit the published campaign was sent to: the concrete list, fixed at publication."""

    __tablename__ = "campaign_targets"

    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", primary_key=True)
    unit_id: uuid.UUID = Field(foreign_key="units.id", primary_key=True, index=True)


class TaskReport(Versioned, table=True):
    """One target unit's progress on one task."""

    __tablename__ = "task_reports"
    __table_args__ = (sa.UniqueConstraint("task_id", "unit_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    campaign_id: uuid.UUID = Field(foreign_key="campaigns.id", index=True, nullable=False)
    task_id: uuid.UUID = Field(foreign_key="campaign_tasks.id", nullable=False)
    unit_id: uuid.UUID = Field(foreign_key="units.id", index=True, nullable=False)
    status: str = code_column(default="not_started", nullable=False)
    value: float | None = Field(default=None)
    note: str | None = Field(default=None, sa_type=sa.String(2000))
    review_comment: str | None = Field(default=None, sa_type=sa.String(1000))
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    submitted_by_id: uuid.UUID | None = Field(default=None)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by_id: uuid.UUID | None = Field(default=None)


class TaskReportEvent(SQLModel, table=True):
    """Every step of a report: who, when, what (the history shown beside it)."""

    __tablename__ = "task_report_events"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    task_report_id: uuid.UUID = Field(foreign_key="task_reports.id", index=True, nullable=False)
    action: str = code_column(nullable=False)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: uuid.UUID | None = Field(default=None)
    actor_name: str = Field(sa_type=sa.String(100), nullable=False)
    value: float | None = Field(default=None)
    comment: str | None = Field(default=None, sa_type=sa.String(1000))


class EvidenceFile(SQLModel, table=True):
    """A file attached to a report; the content lives in the file store under ``storage_key``."""

    __tablename__ = "evidence_files"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    task_report_id: uuid.UUID = Field(foreign_key="task_reports.id", index=True, nullable=False)
    storage_key: str = Field(sa_type=sa.String(64), nullable=False, unique=True)
    filename: str = Field(sa_type=sa.String(255), nullable=False)
    media_type: str = Field(sa_type=sa.String(100), nullable=False)
    size: int = Field(nullable=False)
    sha256: str = Field(sa_type=sa.String(64), nullable=False)
    uploaded_by_id: uuid.UUID | None = Field(default=None)
    uploaded_by_name: str = Field(sa_type=sa.String(100), nullable=False)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
