"""A business's home page: what needs attention, what is connected, what goes out next and what
failed. It sits above the parts it gathers (business, accounts, publishing), so none of them
imports another to draw it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from growth_manager.analytics.pages import headline_numbers
from growth_manager.analytics.queries import Period
from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessViewer
from growth_manager.business.service import businesses
from growth_manager.connections import repository as accounts_repository
from growth_manager.connections.health import needs_attention
from growth_manager.insights import performance
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.business import Role
from growth_manager.publishing import repository as publishing_repository
from growth_manager.web.templating import page_context, platform_facts, render

router = APIRouter(include_in_schema=False)

TOP_POSTS = 3


def top_posts(session: Any, business_id: int) -> list[performance.Performance]:
    """The last 30 days' best posts against their accounts' usual (insights.performance)."""
    now = utcnow()
    best, _worst, _count = performance.ranked(
        session, business_id, Period(now - timedelta(days=30), now), limit=TOP_POSTS
    )
    return best


@router.get("/businesses/{business_id}")
def business_overview(request: Request, session: DbSession, access: BusinessViewer) -> Response:
    accounts = accounts_repository.list_for_business(session, access.business.id)
    upcoming, failures = publishing_schedule(session, access.business.id)
    return render(
        request,
        "business/overview.html",
        page_context(
            session,
            access.user,
            access,
            business=access.business,
            counts=businesses.counts(session, access),
            connected=[a for a in accounts if a.status.value != "disconnected"],
            attention=needs_attention(accounts),
            upcoming=upcoming,
            failures=failures,
            headline=headline_numbers(session, access.business.id, utcnow()),
            top_posts=top_posts(session, access.business.id),
            can_edit=access.can(Role.editor),
            can_manage=access.can(Role.owner),
        ),
    )


def publishing_schedule(
    session: Any, business_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The next scheduled targets and the latest failures, ready for the overview."""
    upcoming, failed = publishing_repository.upcoming_and_failed(session, business_id, utcnow())

    def view(target: Any) -> dict[str, Any]:
        account = (
            session.get(SocialAccount, target.social_account_id)
            if target.social_account_id
            else None
        )
        facts = platform_facts(target.platform)
        return {
            "target": target,
            "account": account.name if account is not None else "Removed account",
            "platform": facts.display_name if facts else target.platform,
            "url": f"/businesses/{business_id}/posts/{target.post_id}",
        }

    return [view(t) for t in upcoming], [view(t) for t in failed]
