import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from backend.auth.deps import AnyPrincipal
from backend.db import DbSession
from backend.errors import problem_responses
from backend.notifications import service
from backend.notifications.models import Notification
from backend.notifications.schemas import DigestAddress, NotificationRead, ReadAll, UnreadCount
from backend.pagination import Page, PageParams, page_params

# A person's own notifications: no scope, as /me is (a machine client has none).
router = APIRouter(prefix="/me/notifications", tags=["notifications"], responses=problem_responses(401, 422))

NotificationPage = Annotated[
    PageParams,
    Depends(page_params(service.SORT_FIELDS, default="-created_at", tie_breaker=Notification.id)),
]


@router.get("", response_model=Page[NotificationRead], summary="My notifications, newest first")
async def list_my_notifications(
    session: DbSession,
    principal: AnyPrincipal,
    page: NotificationPage,
    unread: Annotated[bool, Query(description="true: only those not yet read")] = False,
) -> Page[NotificationRead]:
    return await service.list_mine(session, principal=principal, unread_only=unread, page=page)


@router.get("/unread-count", response_model=UnreadCount, summary="How many of my notifications are unread")
async def my_unread_count(session: DbSession, principal: AnyPrincipal) -> UnreadCount:
    return UnreadCount(unread=await service.unread_count(session, principal=principal))


@router.post("/read-all", response_model=ReadAll, summary="Mark all my notifications read (全部标为已读)")
async def read_all_my_notifications(session: DbSession, principal: AnyPrincipal) -> ReadAll:
    return ReadAll(marked=await service.mark_all_read(session, principal=principal))


@router.get(
    "/digest-address", response_model=DigestAddress, summary="Where my daily digest is mailed, if anywhere"
)
async def read_my_digest_address(session: DbSession, principal: AnyPrincipal) -> DigestAddress:
    return DigestAddress(email=await service.digest_address(session, user_id=principal.id))


@router.put(
    "/digest-address",
    response_model=DigestAddress,
    summary="Set (or clear) my digest's e-mail address (people only: a machine client is answered 403)",
    responses=problem_responses(403),
)
async def set_my_digest_address(
    session: DbSession, principal: AnyPrincipal, body: DigestAddress
) -> DigestAddress:
    email = await service.set_digest_address(session, principal=principal, email=body.email)
    return DigestAddress(email=email)


@router.post(
    "/{notification_id}/read",
    response_model=NotificationRead,
    summary="Mark one of my notifications read",
    responses=problem_responses(404),
)
async def read_my_notification(
    session: DbSession, principal: AnyPrincipal, notification_id: uuid.UUID
) -> NotificationRead:
    return await service.mark_read(session, principal=principal, notification_id=notification_id)
