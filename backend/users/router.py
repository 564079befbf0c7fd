import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from backend.auth.deps import require
from backend.db import DbSession
from backend.errors import problem_responses
from backend.etag import IfMatch, set_etag
from backend.pagination import Page, PageParams, page_params
from backend.security.principals import Principal
from backend.security.roles import Role, Scope
from backend.units import service as units
from backend.units.models import Unit
from backend.users import service
from backend.users.models import User
from backend.users.schemas import PasswordReset, UserCreate, UserCreated, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(401, 403, 422))

UserReader = Annotated[Principal, Depends(require(Scope.users_read))]
UserAdmin = Annotated[Principal, Depends(require(Scope.users_write))]
UserPage = Annotated[
    PageParams, Depends(page_params(service.SORT_FIELDS, default="username", tie_breaker=User.id))
]


async def user_in_scope(user_id: uuid.UUID, session: DbSession, principal: UserReader) -> tuple[User, Unit]:
    return await service.get_in_scope(session, principal=principal, user_id=user_id)


ScopedUser = Annotated[tuple[User, Unit], Depends(user_in_scope)]


@router.get(
    "", response_model=Page[UserRead], summary="List people in scope", responses=problem_responses(404)
)
async def list_users(
    session: DbSession,
    principal: UserReader,
    page: UserPage,
    role: Role | None = None,
    within: Annotated[uuid.UUID | None, Query(description="Only people of this unit's subtree")] = None,
    is_active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Username or name contains")] = None,
) -> Page[UserRead]:
    within_path = None
    if within is not None:
        within_path = (await units.get_in_scope(session, principal=principal, unit_id=within)).path
    filters = service.UserFilters(role=role, within_path=within_path, is_active=is_active, q=q)
    return await service.list_users(session, principal=principal, filters=filters, page=page)


@router.post(
    "",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Add a person",
    responses=problem_responses(409),
)
async def create_user(
    session: DbSession, principal: UserAdmin, user_in: UserCreate, response: Response
) -> UserCreated:
    created = await service.create_user(session, principal=principal, user_in=user_in)
    response.headers["Location"] = f"/api/v1/users/{created.id}"
    set_etag(response, created.version)
    return created


@router.get("/{user_id}", response_model=UserRead, summary="Read a person", responses=problem_responses(404))
async def read_user(session: DbSession, scoped: ScopedUser, response: Response) -> UserRead:
    user, unit = scoped
    set_etag(response, user.version)
    return await service.present(session, user=user, unit=unit)


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    summary="Rename, change role or unit, (de)activate a person",
    responses=problem_responses(404, 409, 412),
)
async def update_user(
    session: DbSession,
    principal: UserAdmin,
    scoped: ScopedUser,
    user_in: UserUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> UserRead:
    user, unit = await service.update_user(
        session, principal=principal, user=scoped[0], user_in=user_in, if_match=if_match
    )
    set_etag(response, user.version)
    return await service.present(session, user=user, unit=unit)


@router.post(
    "/{user_id}/unlock",
    response_model=UserRead,
    summary="Clear a person's failed logins, so that their login attempts no longer wait",
    responses=problem_responses(404),
)
async def unlock_user(
    session: DbSession, principal: UserAdmin, scoped: ScopedUser, response: Response
) -> UserRead:
    user, unit = scoped
    await service.unlock(session, principal=principal, user=user)
    set_etag(response, user.version)
    return await service.present(session, user=user, unit=unit)


@router.post(
    "/{user_id}/reset-password",
    response_model=PasswordReset,
    summary="Reset a person's password to a one-time password",
    responses=problem_responses(404),
)
async def reset_password(session: DbSession, principal: UserAdmin, scoped: ScopedUser) -> PasswordReset:
    return PasswordReset(
        one_time_password=await service.reset_password(session, principal=principal, user=scoped[0])
    )
