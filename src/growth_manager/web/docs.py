"""/docs (Swagger UI) and /redoc (ReDoc), served from vendored files under the page CSP.

FastAPI's own pages load both from a CDN and start them with an inline script, which the CSP
(script-src 'self', see observability.py) refuses: the pages came up blank. These pages load
the copies in static/vendor and start them from static/js, reading the schema's URL from a data
attribute.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from growth_manager.web.templating import templates

router = APIRouter(include_in_schema=False)


def _page(request: Request, template: str) -> HTMLResponse:
    context = {"title": request.app.title, "openapi_url": request.app.openapi_url}
    return templates.TemplateResponse(request, template, context)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    return _page(request, "docs/swagger.html")


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    return _page(request, "docs/redoc.html")
