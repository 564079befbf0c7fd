"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from backend.assessments.models import AssessmentFigure, AssessmentRun, AssessmentScheme, AssessmentVetoHit
from backend.audit.models import AuditChainHead, AuditEvent
from backend.auth.models import AuthSession, LoginKnownAddress, LoginThrottle, RefreshToken, RevokedToken
from backend.campaigns.models import (
    Campaign,
    CampaignTarget,
    CampaignTask,
    EvidenceFile,
    TaskReport,
    TaskReportEvent,
)
from backend.care_files.models import CareEntry, CareFile, CareSettings
from backend.clients.models import ApiClient
from backend.idempotency import IdempotencyRecord
from backend.imports.models import ImportJob
from backend.minors.models import Minor, MinorCount, MinorTally
from backend.notifications.models import Notification, NotificationAddress
from backend.school_metrics.models import SchoolMetric
from backend.seizures.models import SeizureNotice
from backend.transfers.models import Transfer
from backend.units.models import Unit
from backend.users.models import User
from backend.venues.models import PharmacyCheck, Venue, VenueCheck, VenueCheckEvidence
from backend.work_records.models import (
    InspectionVisit,
    PublicityActivity,
    ResponsibilityLetter,
    WorkRecordFile,
)

metadata = SQLModel.metadata

__all__ = [
    "ApiClient",
    "AssessmentFigure",
    "AssessmentRun",
    "AssessmentScheme",
    "AssessmentVetoHit",
    "AuditChainHead",
    "AuditEvent",
    "AuthSession",
    "Campaign",
    "CampaignTarget",
    "CampaignTask",
    "CareEntry",
    "CareFile",
    "CareSettings",
    "EvidenceFile",
    "IdempotencyRecord",
    "ImportJob",
    "InspectionVisit",
    "LoginKnownAddress",
    "LoginThrottle",
    "Minor",
    "MinorCount",
    "MinorTally",
    "Notification",
    "NotificationAddress",
    "PharmacyCheck",
    "PublicityActivity",
    "RefreshToken",
    "ResponsibilityLetter",
    "RevokedToken",
    "SchoolMetric",
    "SeizureNotice",
    "TaskReport",
    "TaskReportEvent",
    "Transfer",
    "Unit",
    "User",
    "Venue",
    "VenueCheck",
    "VenueCheckEvidence",
    "WorkRecordFile",
    "metadata",
]
