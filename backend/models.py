"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from sqlmodel import SQLModel

from backend.audit.models import AuditChainHead, AuditEvent
from backend.auth.models import AuthSession, RefreshToken
from backend.clients.models import ApiClient
from backend.idempotency import IdempotencyRecord
from backend.minors.models import Minor
from backend.seizures.models import SeizureNotice
from backend.units.models import Unit
from backend.users.models import User

metadata = SQLModel.metadata

__all__ = [
    "ApiClient",
    "AuditChainHead",
    "AuditEvent",
    "AuthSession",
    "IdempotencyRecord",
    "Minor",
    "RefreshToken",
    "SeizureNotice",
    "Unit",
    "User",
    "metadata",
]
