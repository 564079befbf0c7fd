"""Transfers (委托管理/移交): a managing unit hands a minor, and the open file, over to another unit."""

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from backend.db import UTCDateTime, Versioned, code_column, new_id
from backend.reference import LabelledEnum, reference


@reference("transfer_statuses")
class TransferStatus(LabelledEnum):
    requested = ("requested", "待接收", "Requested")
    accepted = ("accepted", "已接收", "Accepted")
    rejected = ("rejected", "已退回", "Rejected")
    cancelled = ("cancelled", "已撤回", "Cancelled")
    awaiting_outside_receipt = (
        "awaiting_outside_receipt",
        "待县外签收",
        "Awaiting receipt outside the county",
    )
    delivered = ("delivered", "县外已签收", "Notice delivered outside the county")
    ended = ("ended", "委托已结束", "Delegation ended")


@reference("transfer_kinds")
class TransferKind(LabelledEnum):
    """移交 moves accountability with the minor; 委托管理 (seed 002: "由户籍所在地办理委托手续，委托现住地落实管理")
    has the residence unit manage the file for a period while the household-registration unit stays
    accountable, keeps the minor in its registry and keeps reading the file."""

    handover = ("handover", "移交", "Hand-over")
    delegation = ("delegation", "委托管理", "Delegation")


# A transfer still under way: both sides see it in their boxes and the file may not close.
PENDING_STATUSES = (TransferStatus.requested.value, TransferStatus.awaiting_outside_receipt.value)


@reference("transfer_reasons")
class TransferReason(LabelledEnum):
    residence_differs = ("residence_differs", "实际居住地与户籍地不一致", "Lives elsewhere than registered")
    moved = ("moved", "迁居", "Moved")
    caught_elsewhere = ("caught_elsewhere", "异地查获", "Caught elsewhere")
    other = ("other", "其他", "Other")


class Transfer(Versioned, table=True):
    __tablename__ = "transfers"
    __table_args__ = (
        # One transfer under way per minor.
        sa.Index(
            "ix_transfers_one_pending_per_minor",
            "minor_id",
            unique=True,
            postgresql_where=sa.text("status IN ('requested', 'awaiting_outside_receipt')"),
            sqlite_where=sa.text("status IN ('requested', 'awaiting_outside_receipt')"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    minor_id: uuid.UUID = Field(foreign_key="minors.id", nullable=False, index=True)
    care_file_id: uuid.UUID | None = Field(default=None, foreign_key="care_files.id")
    from_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False, index=True)
    to_unit_id: uuid.UUID | None = Field(default=None, foreign_key="units.id", index=True)
    outside_division_code: str | None = Field(default=None, sa_type=sa.String(12))
    outside_place_name: str | None = Field(default=None, sa_type=sa.String(100))
    kind: TransferKind = code_column(
        default=TransferKind.handover,
        nullable=False,
        sa_column_kwargs={"server_default": sa.text("'handover'")},
    )
    # A delegation's period: it runs until this day (Asia/Shanghai) unless renewed or ended earlier.
    ends_on: date | None = Field(default=None)
    reason_code: TransferReason = code_column(nullable=False)
    reason: str = Field(sa_type=sa.String(500), nullable=False)
    status: TransferStatus = code_column(nullable=False)
    requested_by: uuid.UUID | None = Field(default=None)
    requested_by_name: str = Field(sa_type=sa.String(100), nullable=False)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: uuid.UUID | None = Field(default=None)
    decided_by_name: str | None = Field(default=None, sa_type=sa.String(100))
    decision_note: str | None = Field(default=None, sa_type=sa.String(500))
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
