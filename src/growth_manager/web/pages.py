"""Shell-level routes of the dashboard (the pages themselves live in each feature module)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

router = APIRouter(include_in_schema=False)


@router.get("/favicon.ico")
def favicon(request: Request) -> RedirectResponse:
    """Browsers ask for /favicon.ico by themselves; the logo mark is an SVG."""
    url = request.url_for("static", path="img/favicon.svg")
    return RedirectResponse(str(url.path), status_code=308)
