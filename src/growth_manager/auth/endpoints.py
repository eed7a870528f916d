"""The auth REST API: sign up, exchange a password for a bearer token, change the password,
manage tokens and dashboard sessions."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from growth_manager.auth.dependencies import (
    CurrentUser,
    DbSession,
    bearer_token,
    current_session_id,
    session_store_of,
)
from growth_manager.auth.ratelimit import LoginRateLimit, SignupRateLimit
from growth_manager.auth.schemas import (
    EndedCount,
    PasswordChange,
    PasswordChanged,
    RevokedCount,
    SessionOut,
    SignupRequest,
    TokenIssued,
    TokenOut,
    TokenRequest,
    UserOut,
)
from growth_manager.auth.service import users
from growth_manager.auth.signin import sign_out
from growth_manager.config import Settings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    summary="Create an account",
    description="Creates a user with an email (unique, case-insensitive) and a password of at "
    "least 10 characters, and returns the user. Call `POST /api/v1/auth/token` next to get a "
    "bearer token. An email that already has an account answers 409 and changes nothing. "
    "Rate limited per client address (429 with `Retry-After`).",
    responses={
        409: {"description": "The email already has an account."},
        429: {"description": "Too many attempts from this address; see `Retry-After`."},
    },
)
def signup(body: SignupRequest, session: DbSession, _limit: SignupRateLimit) -> UserOut:
    user = users.signup(session, email=body.email, password=body.password, name=body.name)
    return UserOut.model_validate(user)


@router.post(
    "/token",
    summary="Get a bearer token",
    description="Exchanges an email and password for an opaque API token; send it as "
    "`Authorization: Bearer <token>`. It expires after the configured number of days "
    "(`expires_at`). A wrong email or password gets one generic 401 message. Rate limited per "
    "client address together with the dashboard login (429 with `Retry-After`).",
    responses={
        401: {"description": "Email or password is incorrect."},
        429: {"description": "Too many attempts from this address; see `Retry-After`."},
    },
)
def issue_token(
    body: TokenRequest, request: Request, session: DbSession, _limit: LoginRateLimit
) -> TokenIssued:
    user = users.authenticate(session, body.email, body.password)
    plaintext, token = users.issue_api_token(
        session,
        user,
        body.name,
        lifetime=timedelta(days=_settings(request).api_token_days),
    )
    return TokenIssued(access_token=plaintext, expires_at=token.expires_at)


@router.get(
    "/me",
    summary="The authenticated user",
    description="Returns the user the bearer token (or dashboard session) belongs to.",
)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


def _logout(request: Request, session: DbSession, user: CurrentUser, response: Response) -> None:
    token = bearer_token(request)
    if token is not None:
        users.revoke_plaintext_token(session, user, token)
    else:
        sign_out(request, session, response)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Log out",
    description="Revokes the bearer token this request was sent with; with a dashboard session "
    "cookie instead, ends that session on the server, so the cookie no longer works anywhere "
    "(the CSRF token is required then, in the `X-CSRF-Token` header).",
)
def logout(request: Request, session: DbSession, user: CurrentUser) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _logout(request, session, user, response)
    return response


@router.delete(
    "/token",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the current bearer token",
    description="Same as `POST /api/v1/auth/logout`: the bearer token this request was sent "
    "with stops working immediately.",
)
def revoke_current_token(request: Request, session: DbSession, user: CurrentUser) -> Response:
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _logout(request, session, user, response)
    return response


@router.get(
    "/tokens",
    summary="List your API tokens",
    description="Your tokens that are neither revoked nor expired, newest first. The token "
    "strings themselves are never shown again after they are issued; `current` marks the one "
    "this request was sent with.",
)
def list_tokens(request: Request, session: DbSession, user: CurrentUser) -> list[TokenOut]:
    plaintext = bearer_token(request)
    current_id = users.token_id_of(session, plaintext) if plaintext else None
    return [
        TokenOut.model_validate(token).model_copy(update={"current": token.id == current_id})
        for token in users.active_tokens(session, user)
    ]


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke one of your API tokens",
    description="The token stops working immediately. Revoking an already revoked token is a "
    "no-op; a token id that is not yours answers 404.",
    responses={404: {"description": "No such token among yours."}},
)
def revoke_token(token_id: int, session: DbSession, user: CurrentUser) -> Response:
    users.revoke_token(session, user, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/tokens",
    summary="Revoke all your API tokens",
    description="Every API token you have stops working immediately, including the one this "
    "request was sent with (log out everywhere). Returns how many were revoked.",
)
def revoke_all_tokens(session: DbSession, user: CurrentUser) -> RevokedCount:
    return RevokedCount(revoked=users.revoke_all_tokens(session, user))


@router.post(
    "/password",
    summary="Change your password",
    description="Sets a new password after checking the current one, and ends every other "
    "dashboard session of yours (anyone else signed in as you is signed out). The session this "
    "request was sent with, if any, stays signed in; API tokens are not affected (revoke them "
    "with `DELETE /api/v1/auth/tokens`). A wrong current password answers 422 and changes "
    "nothing. Rate limited per client address together with logins (429 with `Retry-After`).",
    responses={
        422: {"description": "Wrong current password, or the new one breaks a rule."},
        429: {"description": "Too many attempts from this address; see `Retry-After`."},
    },
)
def change_password(
    body: PasswordChange,
    request: Request,
    session: DbSession,
    user: CurrentUser,
    _limit: LoginRateLimit,
) -> PasswordChanged:
    ended = users.change_password(
        session,
        session_store_of(request),
        user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session=current_session_id(request),
    )
    return PasswordChanged(sessions_ended=ended)


@router.get(
    "/sessions",
    summary="List your dashboard sessions",
    description="Every browser signed in to the dashboard as you, most recently seen first, "
    "with when it logged in, when it was last seen (to within 5 minutes), when it expires, its "
    "user agent and address. `current` marks the session this request was sent with.",
)
def list_sessions(request: Request, session: DbSession, user: CurrentUser) -> list[SessionOut]:
    current = current_session_id(request)
    return [
        SessionOut(
            id=browser.id,
            created_at=browser.created_at,
            last_seen_at=browser.last_seen_at,
            expires_at=browser.expires_at,
            user_agent=browser.user_agent,
            ip_address=browser.ip_address,
            current=browser.id == current,
        )
        for browser in users.sessions_of(session, session_store_of(request), user)
    ]


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End one of your dashboard sessions",
    description="That browser is signed out at its next request. Ending the session this "
    "request was sent with logs you out. A session id that is not one of your active sessions "
    "answers 404.",
    responses={404: {"description": "No such active session among yours."}},
)
def end_session(
    session_id: str, request: Request, session: DbSession, user: CurrentUser
) -> Response:
    users.end_session(session, session_store_of(request), user, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/sessions",
    summary="End all your other dashboard sessions",
    description="Signs out every browser signed in as you except the one this request was sent "
    "with (with a bearer token: all of them). Returns how many were ended.",
)
def end_other_sessions(request: Request, session: DbSession, user: CurrentUser) -> EndedCount:
    ended = users.end_other_sessions(
        session, session_store_of(request), user, keep=current_session_id(request)
    )
    return EndedCount(ended=ended)
