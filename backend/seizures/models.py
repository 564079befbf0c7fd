"""Seizure notices (查获通知): what a police station reports, where it was routed, and who took it up."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from backend.db import UTCDateTime, Versioned, code_column, new_id
from backend.minors.models import JSON_ARRAY
from backend.reference import LabelledEnum, reference


@reference("seizure_test_results")
class SeizureTestResult(LabelledEnum):
    positive = ("positive", "阳性", "Positive")
    negative = ("negative", "阴性", "Negative")
    refused = ("refused", "拒绝检测", "Refused")
    not_tested = ("not_tested", "未检测", "Not tested")


@reference("seizure_measures")
class SeizureMeasure(LabelledEnum):
    admonition = ("admonition", "训诫", "Admonition")
    ordered_apology = ("ordered_apology", "责令赔礼道歉", "Ordered to apologise")
    ordered_repentance = ("ordered_repentance", "责令具结悔过", "Ordered to sign a statement of repentance")
    administrative_detention = ("administrative_detention", "行政拘留", "Administrative detention")
    detention_not_executed = (
        "detention_not_executed",
        "依法不执行行政拘留",
        "Administrative detention not executed by law",
    )
    community_drug_treatment = ("community_drug_treatment", "社区戒毒", "Community drug treatment")
    compulsory_isolation_treatment = (
        "compulsory_isolation_treatment",
        "强制隔离戒毒",
        "Compulsory isolated drug treatment",
    )
    specialized_correctional_education = (
        "specialized_correctional_education",
        "专门矫治教育",
        "Specialised correctional education",
    )
    criminal_case = ("criminal_case", "立案侦查", "Criminal investigation opened")
    other = ("other", "其他", "Other")


@reference("seizure_routing_statuses")
class RoutingStatus(LabelledEnum):
    routed = ("routed", "已分送乡镇（街道）", "Routed to a station")
    routed_out = ("routed_out", "居住地在县外，转外地", "Lives outside the county")
    unrouted = ("unrouted", "无法分送，由县禁毒办接收", "No place known: county office")


@reference("seizure_routing_reasons")
class RoutingReason(LabelledEnum):
    residence = ("residence", "按实际居住地", "By actual residence")
    household = ("household", "按户籍地", "By household registration")
    residence_outside = ("residence_outside", "实际居住地在县外", "Actual residence outside the county")
    household_outside = ("household_outside", "户籍地在县外", "Household registration outside the county")
    no_place = ("no_place", "居住地和户籍地均无法对应到乡镇（街道）", "No station covers the places given")


@reference("seizure_followup_statuses")
class FollowupStatus(LabelledEnum):
    awaiting_acknowledgement = ("awaiting_acknowledgement", "待签收", "Awaiting acknowledgement")
    care_file_pending = (
        "care_file_pending",
        "已签收，待建立/重启帮教档案",
        "Acknowledged; care file to open",
    )
    care_file_open = ("care_file_open", "帮教档案已建立", "Care file open")
    transfer_pending = ("transfer_pending", "待移交外地", "Transfer to the other place to start")
    transfer_started = ("transfer_started", "已发起移交", "Transfer started")


class SeizureNotice(Versioned, table=True):
    """One notice from one police station. It is also the minor's seizure history: the facts (substances,
    test, measures, place, time) are kept here once, in the sensitive class, and read per minor."""

    __tablename__ = "seizure_notices"
    __table_args__ = (
        # Notice numbers are the station's own: unique per reporting station, not across stations.
        sa.UniqueConstraint("reporting_unit_id", "notice_no"),
        sa.Index("ix_seizure_notices_receiving_unit_id_received_at", "receiving_unit_id", "received_at"),
        sa.Index("ix_seizure_notices_reporting_unit_id_received_at", "reporting_unit_id", "received_at"),
        # The notices still to acknowledge, by receiving station and deadline: the to-do centre's notice items
        # (``service.notice_query``) read a township's few from it instead of every notice of the county.
        sa.Index(
            "ix_seizure_notices_unacknowledged",
            "receiving_unit_id",
            "ack_deadline_at",
            "id",
            postgresql_where=sa.text("acknowledged_at IS NULL"),
            sqlite_where=sa.text("acknowledged_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    notice_no: str = Field(sa_type=sa.String(64), nullable=False)
    reporting_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    reported_by_kind: str = Field(sa_type=sa.String(10), nullable=False)  # user or client
    reported_by_id: uuid.UUID = Field(nullable=False)
    # SHA-256 of the canonical request: the same notice_no with another body is a conflict.
    request_hash: str = Field(sa_type=sa.String(64), nullable=False)
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    seized_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    place: str = Field(sa_type=sa.String(200), nullable=False)
    substances: list[str] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    test_result: SeizureTestResult = code_column(nullable=False)
    measures: list[str] = Field(default_factory=list, sa_type=JSON_ARRAY, nullable=False)
    summary: str | None = Field(default=None, sa_type=sa.String(2000))
    minor_id: uuid.UUID = Field(foreign_key="minors.id", nullable=False, index=True)
    minor_created: bool = Field(nullable=False)
    routing_status: RoutingStatus = code_column(nullable=False)
    routing_reason: RoutingReason = code_column(nullable=False)
    # The station that takes the case; the county office for unrouted and routed-out notices.
    receiving_unit_id: uuid.UUID = Field(foreign_key="units.id", nullable=False)
    outside_division_code: str | None = Field(default=None, sa_type=sa.String(12))
    outside_place_name: str | None = Field(default=None, sa_type=sa.String(200))
    ack_deadline_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_by: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    followup_status: FollowupStatus = code_column(nullable=False)
