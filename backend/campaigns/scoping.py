"""Which campaigns and reports a principal reaches: plain conditions over the campaigns' own tables, with no reads
or writes of their own, so the dashboard may count by them too."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from backend.campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignTarget,
    CampaignTask,
    TaskReport,
    TaskReportStatus,
)
from backend.db import AnySelect
from backend.security.principals import Principal, within_scope
from backend.units.models import Unit

IssuerUnit = aliased(Unit, name="issuer_unit")


ReportUnit = aliased(Unit, name="report_unit")


OPEN_STATUSES = (TaskReportStatus.not_started, TaskReportStatus.in_progress, TaskReportStatus.returned)


DONE_STATUSES = (TaskReportStatus.submitted, TaskReportStatus.approved)


def campaign_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Campaigns issued in the principal's subtree, or published to a unit in it."""
    sent_here = (
        sa.select(CampaignTarget.campaign_id)
        .join(Unit, Unit.id == CampaignTarget.unit_id)
        .where(CampaignTarget.campaign_id == Campaign.id, within_scope(principal, Unit.path))
        .exists()
    )
    return sa.or_(within_scope(principal, IssuerUnit.path), sa.and_(Campaign.status != "draft", sent_here))


def report_scope(principal: Principal) -> sa.ColumnElement[bool]:
    """Reports of units in the principal's subtree, and every report on campaigns issued there."""
    return sa.or_(within_scope(principal, ReportUnit.path), within_scope(principal, IssuerUnit.path))


def published_reports(principal: Principal) -> AnySelect:
    """Reports of published campaigns the principal reaches (``campaign_scope``) that it may read
    (``report_scope``): the base of the dashboard's completion, approved ÷ all as in ``progress``."""
    return (
        sa.select(TaskReport.campaign_id, TaskReport.status)
        .join(Campaign, Campaign.id == TaskReport.campaign_id)
        .join(IssuerUnit, IssuerUnit.id == Campaign.issuing_unit_id)
        .join(ReportUnit, ReportUnit.id == TaskReport.unit_id)
        .where(
            Campaign.status == CampaignStatus.published.value,
            campaign_scope(principal),
            report_scope(principal),
        )
    )


DUE_SOON_DAYS = 3


def due_expression() -> Any:
    return sa.func.coalesce(CampaignTask.due_date, Campaign.report_deadline)
