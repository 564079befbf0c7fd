import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status

from backend.auth import service
from backend.auth.deps import AnyPrincipal
from backend.auth.schemas import Me, TokenResponse
from backend.db import DbSession
from backend.errors import Forbidden, problem_responses
from backend.settings import Settings
from backend.users import service as users
from backend.users.schemas import PasswordChange

router = APIRouter(tags=["auth"])

OptionalForm = Annotated[str | None, Form()]


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client credentials from HTTP Basic (RFC 6749 §2.3.1), the other allowed way besides the form."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise service.InvalidClient("Malformed Basic credentials.") from exc
    return client_id, secret


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    summary="Get a token (OAuth2: password, client_credentials, refresh_token)",
    responses=problem_responses(400, 401, 415, 422, 429),
)
async def issue_token(
    request: Request,
    session: DbSession,
    grant_type: Annotated[str, Form(description="password, client_credentials or refresh_token")],
    username: OptionalForm = None,
    password: OptionalForm = None,
    client_id: OptionalForm = None,
    client_secret: OptionalForm = None,
    scope: OptionalForm = None,
    refresh_token: OptionalForm = None,
) -> TokenResponse:
    settings: Settings = request.app.state.settings
    if grant_type == "password":
        if not username or not password:
            raise service.InvalidRequest("username and password are required.")
        return await service.password_grant(session, settings=settings, username=username, password=password)
    if grant_type == "refresh_token":
        if not refresh_token:
            raise service.InvalidRequest("refresh_token is required.")
        return await service.refresh_grant(session, settings=settings, refresh_token=refresh_token)
    if grant_type == "client_credentials":
        credentials = _basic_credentials(request) or (client_id, client_secret)
        if not credentials[0] or not credentials[1]:
            raise service.InvalidClient("client_id and client_secret are required.")
        return await service.client_credentials_grant(
            session, settings=settings, client_id=credentials[0], client_secret=credentials[1], scope=scope
        )
    raise service.UnsupportedGrantType(f"Unsupported grant_type {grant_type!r}.")


@router.post(
    "/auth/revoke",
    status_code=status.HTTP_200_OK,
    summary="Log out: revoke a refresh (or access) token and its session (RFC 7009)",
    responses=problem_responses(415, 422),
)
async def revoke_token(
    request: Request,
    session: DbSession,
    token: Annotated[str, Form(max_length=4096)],
    token_type_hint: OptionalForm = None,
) -> Response:
    await service.revoke_token(session, settings=request.app.state.settings, token=token)
    return Response(status_code=status.HTTP_200_OK)


@router.get("/me", response_model=Me, summary="Who am I", responses=problem_responses(401))
async def read_me(session: DbSession, principal: AnyPrincipal) -> Me:
    return await service.describe(session, principal=principal)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password",
    responses=problem_responses(401, 403, 422),
)
async def change_my_password(session: DbSession, principal: AnyPrincipal, body: PasswordChange) -> Response:
    if not principal.is_user:
        raise Forbidden("Machine clients have no password.")
    await users.change_own_password(
        session, principal=principal, current_password=body.current_password, new_password=body.new_password
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
