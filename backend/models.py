"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from backend.audit.models import AuditChainHead, AuditEvent
from backend.auth.models import AuthSession, RefreshToken
from backend.care_files.models import CareEntry, CareFile, CareSettings
from backend.clients.models import ApiClient
from backend.minors.models import Minor
from backend.transfers.models import Transfer
from backend.units.models import Unit
from backend.users.models import User

metadata = SQLModel.metadata

__all__ = [
    "ApiClient",
    "AuditChainHead",
    "AuditEvent",
    "AuthSession",
    "CareEntry",
    "CareFile",
    "CareSettings",
    "Minor",
    "RefreshToken",
    "Transfer",
    "Unit",
    "User",
    "metadata",
]
