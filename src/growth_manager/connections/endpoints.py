"""REST API for connecting accounts (the OAuth round trip) and for their health."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from growth_manager.auth.dependencies import DbSession, optional_user
from growth_manager.business.access import (
    BusinessEditor,
    BusinessOwner,
    BusinessViewer,
    QueriedBusinessOwner,
)
from growth_manager.config import Settings
from growth_manager.connections.schemas import (
    AccountOut,
    AuthorizationUrl,
    ChooseIn,
    IdentityOut,
    PendingOut,
)
from growth_manager.connections.service import ConnectFailure, connections, missing_scopes
from growth_manager.db import calls_platform, writes
from growth_manager.models.user import User
from growth_manager.tokens import repository as token_repository
from growth_manager.web.templating import flash

router = APIRouter(prefix="/api/v1", tags=["connections"])


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get(
    "/oauth/{platform}/authorize",
    summary="Start connecting a social account",
    description=(
        "Creates a single-use state (bound to you and the business, valid 10 minutes; PKCE for "
        "X) and redirects the browser to the platform's consent page. With `format=json` it "
        "returns the URL instead. Needs the owner role. Platforms: x, linkedin, facebook, "
        "instagram (Facebook and Instagram share one Facebook Login)."
    ),
    response_model=AuthorizationUrl,
    responses={303: {"description": "Redirect to the platform's consent page"}},
)
@writes  # stores the single-use state
def authorize(
    platform: str,
    request: Request,
    session: DbSession,
    access: QueriedBusinessOwner,
    format: Annotated[str | None, Query(pattern="^(json|redirect)$")] = None,
) -> Response | AuthorizationUrl:
    url = connections.start(session, settings_of(request), access, platform)
    if format == "json":
        return AuthorizationUrl(authorization_url=url)
    return RedirectResponse(url, status_code=303)


@router.get(
    "/oauth/{platform}/callback",
    summary="Where the platform sends the browser back",
    description=(
        "Consumes the state, exchanges the code, checks the granted scopes and stores the "
        "account, then redirects to the dashboard: to Connections on success or failure (with a "
        "message saying what happened and what to do), or to the page where you choose which "
        "Pages, organizations and Instagram accounts to connect."
    ),
    status_code=303,
    response_class=RedirectResponse,
)
def callback(
    platform: str,
    request: Request,
    user: Annotated[User | None, Depends(optional_user)],
) -> RedirectResponse:
    # A unit of work of its own (the state consumed, the code exchanged with no transaction
    # open, the account stored): the request itself only reads.
    params = dict(request.query_params.items())
    try:
        result = connections.complete(
            request.app.state.database, settings_of(request), user, platform, params
        )
    except ConnectFailure as failure:
        # The consumed state stays consumed (single use even when the attempt failed); the
        # failure paths write nothing else, so nothing is half-connected.
        if failure.business_id is not None and user is not None:
            flash(request, failure.detail, "error")
            return RedirectResponse(
                f"/businesses/{failure.business_id}/connections", status_code=303
            )
        # Only a reason code travels in the URL; the page maps it to the product's own text.
        return RedirectResponse(
            f"/connections/failed?{urlencode({'reason': failure.reason})}", status_code=303
        )
    base = f"/businesses/{result.business_id}/connections"
    if result.pending_token:
        return RedirectResponse(f"{base}/choose/{result.pending_token}", status_code=303)
    names = ", ".join(a.name for a in result.connected)
    flash(request, f"Connected {names}.", "success")
    return RedirectResponse(base, status_code=303)


CHOICE_EXPIRED: dict[int | str, dict[str, Any]] = {
    400: {"description": "The choice expired (15 minutes) or was already made; connect again."}
}


@router.get(
    "/businesses/{business_id}/connections/pending/{token}",
    summary="Identities of a finished login, to choose from",
    response_model=PendingOut,
    responses=CHOICE_EXPIRED,
)
def pending(token: str, session: DbSession, access: BusinessOwner) -> PendingOut:
    choice = connections.pending(session, access, token)
    existing = {(a.platform, a.external_id) for a in connections.list(session, access)}
    return PendingOut(
        platform=choice.platform,
        expires_at=choice.expires_at,
        identities=[
            IdentityOut(
                key=f"{a.platform}:{a.external_id}",
                platform=a.platform,
                kind=a.kind,
                external_id=a.external_id,
                name=a.name,
                username=a.username,
                avatar_url=a.avatar_url,
                followers=a.followers,
                parent_external_id=a.parent_external_id,
                missing_publish_scopes=missing_scopes(a.platform, a.kind, choice.granted_scopes),
                already_connected=(a.platform, a.external_id) in existing,
            )
            for a in choice.accounts
        ],
    )


@router.post(
    "/businesses/{business_id}/connections/pending/{token}",
    summary="Connect the chosen identities",
    response_model=list[AccountOut],
    status_code=201,
    responses=CHOICE_EXPIRED,
)
def choose(
    token: str, body: ChooseIn, session: DbSession, access: BusinessOwner
) -> list[AccountOut]:
    accounts = connections.choose(session, access, token, body.identities)
    return [AccountOut.of(a, []) for a in accounts]


@router.get(
    "/businesses/{business_id}/accounts",
    summary="Connected accounts and their health",
    description="Status, scopes (granted and missing), token expiry, last refresh and the "
    "rate-limit budget each platform last reported.",
    response_model=list[AccountOut],
)
def list_accounts(session: DbSession, access: BusinessViewer) -> list[AccountOut]:
    accounts = connections.list(session, access)
    budgets = token_repository.budgets_for(session, [a.id for a in accounts])
    return [AccountOut.of(a, budgets) for a in accounts]


@router.get(
    "/businesses/{business_id}/accounts/{account_id}",
    summary="One connected account",
    response_model=AccountOut,
)
def get_account(account_id: int, session: DbSession, access: BusinessViewer) -> AccountOut:
    account = connections.get(session, access, account_id)
    return AccountOut.of(account, token_repository.budgets_for(session, [account.id]))


@router.post(
    "/businesses/{business_id}/accounts/{account_id}/verify",
    summary="Check a connection now",
    description="Makes one cheap authenticated call to the platform (refreshing the token once "
    "if it is rejected) and updates the account's status.",
    response_model=AccountOut,
)
@calls_platform
def verify_account(
    account_id: int, request: Request, session: DbSession, access: BusinessEditor
) -> AccountOut:
    connections.get(session, access, account_id)
    body, _error = connections.verify_now(
        request.app.state.database,
        settings_of(request),
        access,
        account_id,
        lambda fresh, account: AccountOut.of(
            account, token_repository.budgets_for(fresh, [account.id])
        ),
    )
    return body


@router.delete(
    "/businesses/{business_id}/accounts/{account_id}",
    summary="Disconnect an account",
    description="Revokes the grant at the platform where it supports that (X, LinkedIn, Meta) "
    "and deletes the stored tokens. The account's posts and analytics history stay.",
    response_model=AccountOut,
)
def disconnect(
    account_id: int, request: Request, session: DbSession, access: BusinessOwner
) -> AccountOut:
    result = connections.disconnect(session, settings_of(request), access, account_id)
    return AccountOut.of(result.account, [])
