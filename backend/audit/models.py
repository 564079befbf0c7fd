import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from backend.db import UTCDateTime, utcnow
from backend.reference import LabelledEnum, reference


@reference("audit_actions")
class AuditAction(LabelledEnum):
    login_succeeded = ("login.succeeded", "登录成功", "Logged in")
    login_failed = ("login.failed", "登录失败", "Login failed")
    unit_created = ("unit.created", "新增单位", "Unit created")
    unit_updated = ("unit.updated", "修改单位", "Unit changed")
    user_created = ("user.created", "新增人员", "Person added")
    user_updated = ("user.updated", "修改人员", "Person changed")
    user_password_reset = ("user.password_reset", "重置密码", "Password reset")
    user_unlocked = ("user.unlocked", "解除登录限制", "Login slow-down cleared")
    password_changed = ("user.password_changed", "修改本人密码", "Own password changed")
    client_created = ("client.created", "新增接口客户端", "API client added")
    client_updated = ("client.updated", "修改接口客户端", "API client changed")
    client_secret_rotated = ("client.secret_rotated", "更换客户端密钥", "API client secret rotated")
    minor_created = ("minor.created", "登记重点未成年人", "Minor registered")
    minor_updated = ("minor.updated", "修改重点未成年人信息", "Minor changed")
    minor_viewed = ("minor.viewed", "查看详情", "Minor record viewed")
    minor_revealed = ("minor.revealed", "查看完整信息", "Identity revealed")
    minor_identity_shown = (
        "minor.identity_shown",
        "责任人查看完整身份",
        "Identity shown to a responsible worker",
    )
    minor_duplicate_probe = (
        "minor.duplicate_elsewhere",
        "登记时发现他单位已管理",
        "Registration matched a record managed elsewhere",
    )
    minor_looked_up = ("minor.looked_up", "按证件号查询", "Looked up by ID number")
    minor_verified = ("minor.verified", "补录身份证号", "ID number added to a provisional record")
    minor_merged = ("minor.merged", "合并重复记录", "Provisional record merged into another")
    minor_duplicates_checked = ("minor.duplicates_checked", "登记前查重", "Possible duplicates looked up")
    campaign_created = ("campaign.created", "新建专项行动", "Campaign created")
    campaign_updated = ("campaign.updated", "修改专项行动", "Campaign changed")
    campaign_published = ("campaign.published", "发布专项行动", "Campaign published")
    campaign_closed = ("campaign.closed", "结束专项行动", "Campaign closed")
    campaign_exported = ("campaign.progress_exported", "导出进展统计表", "Progress table exported")
    assessment_scheme_created = ("assessment_scheme.created", "新建考核方案", "Assessment scheme created")
    assessment_scheme_updated = ("assessment_scheme.updated", "修改考核方案", "Assessment scheme changed")
    assessment_scheme_deleted = ("assessment_scheme.deleted", "删除考核方案", "Assessment scheme deleted")
    assessment_run_computed = ("assessment_run.computed", "计算考核结果", "Assessment run computed")
    assessment_score_set = (
        "assessment_run.score_set",
        "人工评分或调整考核得分",
        "Assessment score set by hand",
    )
    assessment_veto_set = ("assessment_run.veto_set", "人工认定一票否决", "Assessment veto set by hand")
    assessment_run_finalised = ("assessment_run.finalised", "考核结果定稿", "Assessment run finalised")
    task_report_saved = ("task_report.saved", "填报任务进展", "Task progress saved")
    task_report_submitted = ("task_report.submitted", "提交任务报告", "Task report submitted")
    task_report_approved = ("task_report.approved", "审核通过任务报告", "Task report approved")
    task_report_returned = ("task_report.returned", "退回任务报告", "Task report returned")
    evidence_added = ("evidence.added", "上传佐证材料", "Evidence file uploaded")
    evidence_removed = ("evidence.removed", "删除佐证材料", "Evidence file removed")
    work_record_created = ("work_record.created", "新增工作台账", "Work record created")
    work_record_updated = ("work_record.updated", "修改工作台账", "Work record changed")
    work_record_deleted = ("work_record.deleted", "删除工作台账", "Work record deleted")
    work_record_exported = ("work_record.exported", "导出工作台账", "Work records exported")
    seizure_notice_received = ("seizure_notice.received", "接收查获通知", "Seizure notice received")
    seizure_notice_viewed = ("seizure_notice.viewed", "查看查获通知", "Seizure notice viewed")
    seizure_notice_acknowledged = (
        "seizure_notice.acknowledged",
        "签收查获通知",
        "Seizure notice acknowledged",
    )
    seizure_report_exported = ("seizure_report.exported", "导出查获日报", "Seizure daily report exported")
    school_metrics_submitted = ("school_metrics.submitted", "报送学校工作数据", "School metrics submitted")
    stats_exported = ("stats.exported", "导出统计表", "Statistics exported")
    import_uploaded = ("import.uploaded", "上传导入文件", "Import file uploaded")
    import_checked = ("import.checked", "检查导入文件", "Import file checked (nothing written)")
    import_committed = ("import.committed", "批量导入", "Import committed")
    care_file_opened = ("care_file.opened", "建立帮教档案", "Care file opened")
    care_file_reopened = ("care_file.reopened", "重新启用帮教档案", "Care file reopened")
    care_file_updated = ("care_file.updated", "修改帮教计划或责任人", "Care plan or team changed")
    care_assignment_confirmed = (
        "care_file.assignment_confirmed",
        "确认责任人",
        "Responsible people confirmed",
    )
    care_file_viewed = ("care_file.viewed", "查看帮教档案", "Care file viewed")
    care_entry_added = ("care_file.entry_added", "记录帮教情况", "Timeline entry recorded")
    care_entry_corrected = ("care_file.entry_corrected", "更正帮教记录", "Timeline entry corrected")
    care_alert_raised = ("care_file.alert_raised", "帮教预警", "Alert raised")
    care_alert_cleared = ("care_file.alert_cleared", "预警已处理", "Alert acknowledged")
    care_closure_requested = ("care_file.closure_requested", "申请结案", "Closure requested")
    care_closure_approved = ("care_file.closure_approved", "批准结案", "Closure approved")
    care_closure_rejected = ("care_file.closure_rejected", "退回结案申请", "Closure rejected")
    care_settings_updated = ("care_settings.updated", "修改回访周期", "Follow-up intervals changed")
    care_duty_updated = ("care_duty.updated", "设置值班社工", "On-duty social worker set")
    transfer_requested = ("transfer.requested", "申请移交", "Transfer requested")
    transfer_accepted = ("transfer.accepted", "接收移交", "Transfer accepted")
    transfer_rejected = ("transfer.rejected", "退回移交", "Transfer rejected")
    transfer_cancelled = ("transfer.cancelled", "撤回移交", "Transfer cancelled")
    transfer_delivered = ("transfer.delivered", "书面通知已送达", "Written notice delivered")
    transfer_notice_printed = ("transfer.notice_printed", "打印书面通知", "Written notice printed")
    transfer_renewed = ("transfer.renewed", "委托管理续期", "Delegation renewed")
    transfer_ended = ("transfer.ended", "结束委托管理", "Delegation ended")
    venue_created = ("venue.created", "新增重点场所", "Venue added")
    venue_updated = ("venue.updated", "修改重点场所", "Venue changed")
    venue_checked = ("venue.checked", "记录场所排查", "Venue check recorded")
    pharmacy_check_recorded = ("pharmacy_check.recorded", "记录药店排查", "Pharmacy check recorded")
    pharmacy_check_updated = ("pharmacy_check.updated", "修改药店排查记录", "Pharmacy check changed")
    list_exported = ("list.exported", "导出列表", "List exported")


class AuditEvent(SQLModel, table=True):
    """One append-only event. ``hash`` chains it to the event before (``prev_hash``) in ``seq`` order."""

    __tablename__ = "audit_events"

    # Numbered by the chain head, never by the database: a gap means a removed event.
    seq: int = Field(primary_key=True, sa_type=sa.BigInteger, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_kind: str = Field(sa_type=sa.String(10), nullable=False)  # user, client, anonymous
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_name: str = Field(sa_type=sa.String(64), nullable=False)
    # The unit the event belongs to, for scoping readers of the trail.
    unit_id: uuid.UUID | None = Field(default=None, foreign_key="units.id", index=True)
    action: str = Field(sa_type=sa.String(40), nullable=False, index=True)
    object_type: str | None = Field(default=None, sa_type=sa.String(40))
    object_id: str | None = Field(default=None, sa_type=sa.String(64))
    fields: list[str] | None = Field(default=None, sa_type=sa.JSON)
    reason: str | None = Field(default=None, sa_type=sa.String(500))
    request_id: str | None = Field(default=None, sa_type=sa.String(64))
    prev_hash: str = Field(sa_type=sa.String(64), nullable=False)
    hash: str = Field(sa_type=sa.String(64), nullable=False)

    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    def chained_content(self) -> dict[str, Any]:
        """What the hash covers: everything but the hash itself."""
        return chained_content({key: getattr(self, key) for key in CHAINED_KEYS})


CHAINED_KEYS = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "unit_id",
    "action",
    "object_type",
    "object_id",
    "fields",
    "reason",
    "request_id",
    "prev_hash",
)


def chained_content(event: Mapping[str, Any]) -> dict[str, Any]:
    """What an event's hash covers, from its column values: everything but the hash itself, as JSON values."""
    return {key: _json_value(event[key]) for key in CHAINED_KEYS}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


class AuditChainHead(SQLModel, table=True):
    """The single row every writer locks first, so events are numbered and chained one at a time."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    last_hash: str = Field(sa_type=sa.String(64), nullable=False)
