"""Import jobs: one upload of a screening form, its progress and its report, kept whatever the outcome."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, code_column, new_id, utcnow
from backend.reference import LabelledEnum, reference


@reference("import_kinds")
class ImportKind(LabelledEnum):
    screening_minors = ("screening_minors", "排查发现的未成年人", "Minors found in screening")
    pharmacy_checks = ("pharmacy_checks", "右美沙芬处方药品使用情况排查", "Pharmacy dextromethorphan checks")
    venue_checks = ("venue_checks", "场所隐患排查", "Venue hazard checks")


@reference("import_modes")
class ImportMode(LabelledEnum):
    dry_run = ("dry_run", "仅检查", "Check only")
    commit = ("commit", "检查并导入", "Check and import")


@reference("import_statuses")
class ImportStatus(LabelledEnum):
    queued = ("queued", "排队中", "Queued")
    checking = ("checking", "检查中", "Checking")
    applying = ("applying", "导入中", "Applying")
    finished = ("finished", "已完成", "Finished")
    failed = ("failed", "无法读取", "Could not be read")


@reference("import_row_outcomes")
class RowOutcome(LabelledEnum):
    ok = ("ok", "可导入", "Valid")
    duplicate = ("duplicate", "重复", "Duplicate")
    invalid = ("invalid", "有错误", "Has problems")


class ImportJob(SQLModel, table=True):
    """One upload. The report keeps row numbers, outcomes and problems by column — never an ID number in
    clear (a duplicate's own number is not echoed; identity cells are named by column only)."""

    __tablename__ = "import_jobs"
    __table_args__ = (sa.Index("ix_import_jobs_unit_id_created_at", "unit_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: ImportKind = code_column(nullable=False)
    mode: ImportMode = code_column(nullable=False)
    all_or_nothing: bool = Field(default=False, nullable=False)
    status: ImportStatus = code_column(nullable=False)
    file_name: str = Field(sa_type=sa.String(200), nullable=False)
    file_hash: str = Field(sa_type=sa.String(64), nullable=False, index=True)
    file_size: int = Field(nullable=False)
    sheet_name: str | None = Field(default=None, sa_type=sa.String(100))
    unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    created_by_kind: str = Field(sa_type=sa.String(10), nullable=False)
    created_by_id: uuid.UUID | None = Field(default=None)
    created_by_name: str = Field(sa_type=sa.String(64), nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rows_total: int = Field(default=0, nullable=False)
    rows_done: int = Field(default=0, nullable=False)
    rows_ok: int = Field(default=0, nullable=False)
    rows_duplicate: int = Field(default=0, nullable=False)
    rows_invalid: int = Field(default=0, nullable=False)
    rows_applied: int = Field(default=0, nullable=False)
    committed: bool = Field(default=False, nullable=False)
    # {"notes": [...], "columns": [...], "rows": [{"row", "outcome", "action", "problems": [...]}]}
    report: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    # Why the file as a whole was refused (missing columns, not a spreadsheet): {"code", "zh", "en"}
    error: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
