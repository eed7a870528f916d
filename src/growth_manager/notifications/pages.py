"""Dashboard pages: the notification list, marking read."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from growth_manager.auth.dependencies import DbSession, PageUser, csrf_protect
from growth_manager.errors import NotFound
from growth_manager.notifications.service import notifications
from growth_manager.web.templating import flash, page_context, redirect, render

router = APIRouter(include_in_schema=False)
CSRF = [Depends(csrf_protect)]


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, session: DbSession, user: PageUser) -> Response:
    listing = notifications.list(session, user, limit=100)
    return render(
        request,
        "notifications/list.html",
        page_context(session, user, None, listing=listing),
    )


@router.post("/notifications/read-all", dependencies=CSRF)
def read_all_submit(request: Request, session: DbSession, user: PageUser) -> Response:
    marked = notifications.mark_all_read(session, user)
    flash(request, f"Marked {marked} notification{'' if marked == 1 else 's'} read.")
    return redirect("/notifications")


@router.post("/notifications/{notification_id}/read", dependencies=CSRF)
def read_submit(
    notification_id: int, request: Request, session: DbSession, user: PageUser
) -> Response:
    try:
        notifications.mark_read(session, user, notification_id)
    except NotFound as exc:
        flash(request, exc.detail, "error")
    return redirect("/notifications")
