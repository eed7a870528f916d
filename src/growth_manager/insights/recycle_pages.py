"""The Insights page's one-click recycle: a refreshed copy of a past top performer into its
account's queue (editors), then back to the page with what happened."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from growth_manager.analytics.views import zone_of
from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import BusinessEditor
from growth_manager.errors import AppError
from growth_manager.insights import recycling
from growth_manager.kit.clock import utcnow
from growth_manager.web.templating import flash, redirect

router = APIRouter(include_in_schema=False)


@router.post("/businesses/{business_id}/insights/recycling/{remote_post_id}/queue")
def queue_copy_page(
    request: Request, session: DbSession, access: BusinessEditor, remote_post_id: int
) -> Response:
    back = f"/businesses/{access.business.id}/insights#recycling"
    try:
        queued = recycling.queue_copy(session, access, remote_post_id, utcnow())
    except recycling.AlreadyQueued as exc:
        flash(request, str(exc), "warning")
        return redirect(back)
    except AppError as exc:
        if exc.status_code >= 500:
            raise
        flash(request, f"Not queued: {exc}", "error")
        return redirect(back)
    when = queued.slot.astimezone(zone_of(access)).strftime("%a %d %b %Y %H:%M %Z")
    notes = " ".join(queued.composed.notes)
    flash(
        request,
        f"A refreshed copy is in the queue for {when} (post {queued.composed.post.id}). {notes}",
        "success",
    )
    return redirect(back)
