"""Dashboard pages: Connections (accounts, token health, connect buttons) and the picker."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessEditor, BusinessOwner, BusinessViewer
from growth_manager.config import Settings
from growth_manager.connections.health import needs_attention
from growth_manager.connections.schemas import AccountOut
from growth_manager.connections.service import (
    ConnectFailure,
    connections,
    failure_message,
    missing_analytics_scopes,
    missing_scopes,
)
from growth_manager.db import calls_platform
from growth_manager.errors import AppError
from growth_manager.models.business import Role
from growth_manager.notifications import repository as notice_repository
from growth_manager.providers.registry import descriptor
from growth_manager.tokens import repository as token_repository
from growth_manager.tokens.platforms import all_setups
from growth_manager.web.templating import flash, page_context, redirect, render

router = APIRouter(include_in_schema=False)


@router.get("/businesses/{business_id}/connections", response_class=HTMLResponse)
def connections_page(request: Request, session: DbSession, access: BusinessViewer) -> Response:
    settings: Settings = request.app.state.settings
    accounts = connections.list(session, access)
    budgets = token_repository.budgets_for(session, [a.id for a in accounts])
    views = [AccountOut.of(a, budgets) for a in accounts]
    platforms = [
        {
            "key": key,
            "name": descriptor(key).display_name,
            "available": setup.available,
            "sandbox": setup.config is not None and setup.config.is_sandbox,
            "reason": setup.reason,
            "connected": sum(
                1 for a in accounts if a.platform == key and a.status != "disconnected"
            ),
        }
        for key, setup in all_setups(settings).items()
    ]
    return render(
        request,
        "accounts/connections.html",
        page_context(
            session,
            access.user,
            access,
            accounts=views,
            attention=needs_attention(accounts),
            platforms=platforms,
            notifications=notice_repository.for_business(session, access.business.id),
            can_manage=access.role.allows(Role.owner),
            can_edit=access.role.allows(Role.editor),
        ),
    )


@router.get("/businesses/{business_id}/connections/choose/{token}", response_class=HTMLResponse)
def choose_page(
    token: str, request: Request, session: DbSession, access: BusinessOwner
) -> Response:
    try:
        choice = connections.pending(session, access, token)
    except ConnectFailure as failure:
        flash(request, failure.detail, "error")
        return redirect(f"/businesses/{access.business.id}/connections")
    existing = {(a.platform, a.external_id) for a in connections.list(session, access)}
    identities = [
        {
            "key": f"{a.platform}:{a.external_id}",
            "profile": a,
            "platform_name": descriptor(a.platform).display_name,
            "missing": missing_scopes(a.platform, a.kind, choice.granted_scopes),
            "missing_analytics": missing_analytics_scopes(
                a.platform, a.kind, choice.granted_scopes
            ),
            "connected": (a.platform, a.external_id) in existing,
            # A login often sees Pages and organizations unrelated to this business (a
            # client's, an old project's): nothing starts ticked except what is already
            # connected here, which the person came back to reconnect.
            "preselected": (a.platform, a.external_id) in existing,
        }
        for a in choice.accounts
    ]
    return render(
        request,
        "accounts/choose.html",
        page_context(
            session, access.user, access, choice=choice, identities=identities, token=token
        ),
    )


@router.post("/businesses/{business_id}/connections/choose/{token}")
def choose_submit(
    token: str,
    request: Request,
    session: DbSession,
    access: BusinessOwner,
    identities: Annotated[list[str] | None, Form()] = None,
) -> Response:
    business_id = access.business.id
    try:
        connected = connections.choose(session, access, token, identities or [])
    except ConnectFailure as failure:
        flash(request, failure.detail, "error")
        target = (
            f"/businesses/{business_id}/connections/choose/{token}"
            if "Choose at least one" in failure.detail
            else f"/businesses/{business_id}/connections"
        )
        return redirect(target)
    names = ", ".join(f"{a.name} ({descriptor(a.platform).display_name})" for a in connected)
    flash(request, f"Connected {names}.", "success")
    return redirect(f"/businesses/{business_id}/connections")


@router.post("/businesses/{business_id}/connections/{account_id}/disconnect")
def disconnect_submit(
    account_id: int, request: Request, session: DbSession, access: BusinessViewer
) -> Response:
    business_id = access.business.id
    try:
        # A member without the owner role is told so on the Connections page, not on an error
        # page: the button is theirs to see, the decision the owner's.
        access.require(Role.owner)
        result = connections.disconnect(session, request.app.state.settings, access, account_id)
    except AppError as exc:
        if exc.status_code == 404:
            raise
        flash(request, exc.detail, "error")
        return redirect(f"/businesses/{business_id}/connections")
    name = result.account.name
    if result.revoked_at_platform:
        message = f"Disconnected {name}: access revoked at the platform and tokens deleted."
    elif result.revoked_at_platform is None:
        message = (
            f"Disconnected {name}; its tokens are deleted here. The platform grant stays, "
            "because another connected account uses it."
        )
    else:
        platform = descriptor(result.account.platform).display_name
        message = (
            f"Disconnected {name}; its tokens are deleted. {platform} can't revoke this "
            "access from here: remove Growth Manager in your account's app settings there."
        )
    flash(request, message, "success")
    return redirect(f"/businesses/{business_id}/connections")


@router.post("/businesses/{business_id}/connections/{account_id}/verify")
@calls_platform
def verify_submit(
    account_id: int, request: Request, session: DbSession, access: BusinessEditor
) -> Response:
    connections.get(session, access, account_id)
    name, error = connections.verify_now(
        request.app.state.database,
        request.app.state.settings,
        access,
        account_id,
        lambda _session, account: account.name,
    )
    if error is not None:
        flash(request, f"{name}: {error.message}", "error")
    else:
        flash(request, f"{name} is connected and working.", "success")
    return redirect(f"/businesses/{access.business.id}/connections")


@router.get("/connections/failed", response_class=HTMLResponse)
def failed_page(
    request: Request,
    reason: str = "",
) -> Response:
    # Anyone can send anyone this URL: only text the product chose is shown (see
    # FAILURE_REASONS); any other parameter, such as an old ?message=, is ignored.
    return render(
        request, "accounts/failed.html", {"message": failure_message(reason)}, status_code=400
    )
