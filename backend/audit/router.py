import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.audit import service
from backend.audit.models import AuditEvent
from backend.audit.schemas import AuditEventRead, ChainVerification
from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.pagination import Page, PageParams, page_params
from backend.security import privacy
from backend.security.principals import Principal
from backend.security.roles import Scope
from backend.units.schemas import UnitSummary

router = APIRouter(prefix="/audit-events", tags=["audit"], responses=problem_responses(401, 403, 422))

AuditReader = Annotated[Principal, Depends(require(Scope.audit_read))]
AuditPage = Annotated[
    PageParams, Depends(page_params(service.SORT_FIELDS, default="-seq", tie_breaker=AuditEvent.seq))
]


@router.get(
    "", response_model=Page[AuditEventRead], summary="The audit trail of the caller's subtree, newest first"
)
async def list_audit_events(
    session: DbSession,
    principal: AuditReader,
    page: AuditPage,
    actor_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    object_type: Annotated[str | None, Query(max_length=40)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time")] = None,
) -> Page[AuditEventRead]:
    filters = service.AuditFilters(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
    )
    events = await service.list_events(session, principal=principal, filters=filters, page=page)
    return Page[AuditEventRead](
        items=[_shaped(listed, principal) for listed in events.items],
        total=events.total,
        limit=events.limit,
        offset=events.offset,
    )


def _shaped(listed: service.ListedEvent, principal: Principal) -> AuditEventRead:
    """An event as the reader may see it: a reason that is a case fact, and the names of sensitive fields,
    only for those who see the sensitive class (the privacy policy's ``audit_event_view``)."""
    event = listed.event
    view = privacy.audit_event_view(
        principal,
        action=event.action,
        object_type=event.object_type,
        reason=event.reason,
        fields=event.fields,
        request_id=event.request_id,
    )
    return AuditEventRead.model_validate(event).model_copy(
        update={
            "actor_unit": UnitSummary.model_validate(listed.actor_unit) if listed.actor_unit else None,
            "reason": view.reason,
            "fields": view.fields,
            "request_id": view.request_id,
        }
    )


@router.get("/verify", response_model=ChainVerification, summary="Check the whole hash chain")
async def verify_audit_chain(session: DbSession, principal: AuditReader) -> ChainVerification:
    report = await service.verify(session)
    return ChainVerification(
        ok=report.ok, events=report.events, first_broken=report.first_broken, problem=report.problem
    )
