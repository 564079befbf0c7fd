import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response, status

from backend.auth import service, throttle
from backend.auth.deps import AnyPrincipal
from backend.auth.schemas import Me, TokenResponse
from backend.db import DbSession
from backend.errors import Forbidden, ValidationFailed, problem_responses
from backend.messages import Text
from backend.security.crypto import cipher_of
from backend.settings import Settings
from backend.users import service as users
from backend.users.schemas import PasswordChange
from backend.workflows import todo

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


# The web app's refresh token: HttpOnly (out of JavaScript's reach), SameSite=Strict, sent only to the token and
# revoke endpoints. A session cookie: it ends with the browser, as the token's server-side lifetime ends it anyway.
REFRESH_COOKIE = "qinghu_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth/"
BY_COOKIE = "cookie"

RefreshDelivery = Annotated[
    Literal["body", "cookie"] | None,
    Form(
        description="Where a person's refresh token goes: `body` (the default, as OAuth2 says) or `cookie`, an "
        "HttpOnly, SameSite=Strict cookie for the web app. A refresh grant without `refresh_token` reads the "
        "cookie and answers the same way."
    ),
]


def _deliver(
    tokens: TokenResponse, *, cookie: bool, request: Request, response: Response, settings: Settings
) -> TokenResponse:
    if not cookie or tokens.refresh_token is None:
        return tokens
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="strict",
        # Secure over https (or when the settings say so); plain http stays possible for the local demo.
        secure=settings.refresh_cookie_secure or request.url.scheme == "https",
    )
    return tokens.model_copy(update={"refresh_token": None})


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    summary="Get a token (OAuth2: password, client_credentials, refresh_token)",
    responses=problem_responses(400, 401, 415, 422, 429),
)
async def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    grant_type: Annotated[str, Form(description="password, client_credentials or refresh_token")],
    username: OptionalForm = None,
    password: OptionalForm = None,
    client_id: OptionalForm = None,
    client_secret: OptionalForm = None,
    scope: OptionalForm = None,
    refresh_token: OptionalForm = None,
    refresh_token_delivery: RefreshDelivery = None,
) -> TokenResponse:
    settings: Settings = request.app.state.settings
    if grant_type == "password":
        if not username or not password:
            raise service.InvalidRequest("username and password are required.")
        tokens = await service.password_grant(
            session,
            settings=settings,
            username=username,
            password=password,
            address=throttle.client_address(request, settings),
        )
        cookie = refresh_token_delivery == BY_COOKIE
        return _deliver(tokens, cookie=cookie, request=request, response=response, settings=settings)
    if grant_type == "refresh_token":
        presented = refresh_token or request.cookies.get(REFRESH_COOKIE)
        if not presented:
            raise service.InvalidRequest("refresh_token is required.")
        tokens = await service.refresh_grant(session, settings=settings, refresh_token=presented)
        # Answered the way it came, unless the form says otherwise.
        cookie = refresh_token_delivery == BY_COOKIE if refresh_token_delivery else not refresh_token
        return _deliver(tokens, cookie=cookie, request=request, response=response, settings=settings)
    if grant_type == "client_credentials":
        credentials = _basic_credentials(request) or (client_id, client_secret)
        if not credentials[0] or not credentials[1]:
            raise service.InvalidClient("client_id and client_secret are required.")
        return await service.client_credentials_grant(
            session, settings=settings, client_id=credentials[0], client_secret=credentials[1], scope=scope
        )
    raise service.UnsupportedGrantType(Text("Unsupported grant_type {grant_type!r}.", grant_type=grant_type))


@router.post(
    "/auth/revoke",
    status_code=status.HTTP_200_OK,
    summary="Revoke a token (RFC 7009): log out, or end a machine client's access token",
    description="A person's refresh or access token ends its session (the web app may leave `token` out: its "
    "refresh cookie is revoked and cleared). A machine client revokes its own access token, authenticated by "
    "`client_id` and `client_secret` in the form or by HTTP Basic. The token stops working at its next request, "
    "in every API process. Unknown and expired tokens are not an error.",
    responses={
        200: {"description": "Revoked, or unknown (RFC 7009): no body", "content": None},
        **problem_responses(400, 401, 415, 422),
    },
)
async def revoke_token(
    request: Request,
    session: DbSession,
    token: Annotated[str | None, Form(max_length=4096, description="The token to revoke")] = None,
    token_type_hint: Annotated[
        str | None, Form(description="`access_token` or `refresh_token`; any token is found without it")
    ] = None,
    client_id: OptionalForm = None,
    client_secret: OptionalForm = None,
) -> Response:
    settings: Settings = request.app.state.settings
    cookie = request.cookies.get(REFRESH_COOKIE)
    if not token and not cookie:
        raise ValidationFailed.field(["body", "token"], "Field required", "missing")
    credentials = _basic_credentials(request) or (client_id, client_secret)
    client = None
    if credentials[0] or credentials[1]:
        if not credentials[0] or not credentials[1]:
            raise service.InvalidClient("client_id and client_secret are required.")
        client = await service.authenticate_client(
            session, client_id=credentials[0], client_secret=credentials[1]
        )
    if token:
        await service.revoke_token(session, settings=settings, token=token, client=client)
    answer = Response(status_code=status.HTTP_200_OK)
    if cookie:
        # A request that carries the cookie comes from the web app logging out: its session ends as well.
        await service.revoke_token(session, settings=settings, token=cookie, client=None)
        answer.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, httponly=True, samesite="strict")
    return answer


@router.get("/me", response_model=Me, summary="Who am I", responses=problem_responses(401))
async def read_me(session: DbSession, principal: AnyPrincipal) -> Me:
    return await service.describe(session, principal=principal)


@router.get(
    "/me/todo",
    response_model=todo.Todo,
    summary="What is waiting for me: worklists, approvals, notices, transfers and tasks, counted in my scope",
    responses=problem_responses(401),
)
async def read_my_todo(session: DbSession, principal: AnyPrincipal) -> todo.Todo:
    return await todo.todo(session, principal=principal)


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password",
    description="A wrong current password counts as a failed login (the same counters): past the free "
    "failures further attempts wait, answered 429 with `Retry-After`.",
    responses=problem_responses(401, 403, 422, 429),
)
async def change_my_password(
    request: Request, session: DbSession, principal: AnyPrincipal, body: PasswordChange
) -> Response:
    cipher = cipher_of(session)
    if not principal.is_user:
        raise Forbidden("Machine clients have no password.")
    settings: Settings = request.app.state.settings
    attempt = throttle.LoginAttempt(
        account_key=throttle.account_key(cipher, principal.name),
        address=throttle.client_address(request, settings),
        user_id=principal.id,
    )
    await users.change_own_password(
        session,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
        attempt=attempt,
        settings=settings,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
