"""The Competitors dashboard page: which platforms can read competitors (and why not the
others), the add form, the list with each competitor's last read, the side-by-side comparison
for the chosen period and platforms, and followers over time (drawn by the vendored Chart.js
from a ``<script type="application/json">`` block: no inline script, per the CSP)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from growth_manager.analytics.pages import RANGES, compact, filter_values, read_filters
from growth_manager.auth.dependencies import DbSession, csrf_token, settings_of
from growth_manager.business.access import BusinessEditor, BusinessViewer
from growth_manager.competitors import comparison, service
from growth_manager.competitors.sync import CompetitorSyncer
from growth_manager.db import Database, calls_platform
from growth_manager.errors import AppError
from growth_manager.models.business import Role
from growth_manager.web.templating import flash, page_context, redirect, render

router = APIRouter(include_in_schema=False)

STATUS_WORDS = {
    "pending": "Not read yet",
    "ok": "Read",
    "not_found": "Not found",
    "not_business": "Not a business account",
    "protected": "Posts protected",
    "unsupported": "Not readable",
}


@router.get("/businesses/{business_id}/competitors")
def competitors_page(
    request: Request,
    session: DbSession,
    access: BusinessViewer,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    days: Annotated[str | None, Query()] = None,
    platform: Annotated[list[str] | None, Query()] = None,
) -> Response:
    period, only, problems = read_filters(access, since, until, days, platform)
    business_id = access.business.id
    support = service.support()
    readable = [s for s in support if s.supported]
    return render(
        request,
        "competitors/page.html",
        page_context(
            session,
            access.user,
            access,
            csrf_token=csrf_token(request),
            can_edit=access.can(Role.editor),
            support=support,
            readable=readable,
            competitors=service.listed(session, business_id),
            rows=comparison.compare(session, business_id, period, only),
            chart={"series": comparison.series(session, business_id, period, only)},
            period=period,
            problems=problems,
            ranges=RANGES,
            status_words=STATUS_WORDS,
            compact=compact,
            all_platforms=[(s.platform, s.display_name) for s in readable],
            filters=filter_values(since, until, days, only),
        ),
    )


@router.post("/businesses/{business_id}/competitors")
@calls_platform
def add_competitor_form(
    request: Request,
    session: DbSession,
    access: BusinessEditor,
    platform: Annotated[str, Form()] = "",
    handle: Annotated[str, Form()] = "",
) -> Response:
    back = f"/businesses/{access.business.id}/competitors"
    database: Database = request.app.state.database
    try:
        with database.session() as writing:
            competitor_id = service.add(
                writing, access.business.id, platform, handle, access.user.id
            ).id
    except AppError as error:
        flash(request, error.detail, "error")
        return redirect(back)
    outcome = CompetitorSyncer(database, settings_of(request)).sync(competitor_id)
    words = STATUS_WORDS.get(outcome, outcome.replace("_", " "))
    flash(request, f"Added @{handle.strip().lstrip('@')}: {words.lower()}.", "success")
    return redirect(back)


@router.post("/businesses/{business_id}/competitors/{competitor_id}/delete")
def remove_competitor_form(
    request: Request, session: DbSession, access: BusinessEditor, competitor_id: int
) -> Response:
    back = f"/businesses/{access.business.id}/competitors"
    try:
        competitor = service.get(session, access.business.id, competitor_id)
        handle = competitor.handle
        service.remove(session, access.business.id, competitor_id)
    except AppError as error:
        flash(request, error.detail, "error")
        return redirect(back)
    flash(request, f"Removed @{handle}.", "success")
    return redirect(back)
