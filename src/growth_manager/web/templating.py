"""Jinja2 templates for the dashboard, and the ``render`` helper every page uses.

``render`` adds what the layout needs on every page: the signed-in user, the CSRF token for forms
and htmx, the businesses the user can switch between, the current business, and flash messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from growth_manager import __version__
from growth_manager.providers.base import Descriptor
from growth_manager.providers.registry import descriptor, is_platform

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["app_version"] = __version__


@pass_context
def local_time(context: Context, value: datetime | None, fmt: str = "%d %b %Y %H:%M %Z") -> str:
    """``value`` (UTC) on the current business's clock: every date a page shows goes through
    this filter, so nobody has to convert by hand. Without a business, UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=UTC)
    business = context.get("current_business")
    zone_name = getattr(business, "timezone", None) or "UTC"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime(fmt)


templates.env.filters["local_time"] = local_time


def platform_facts(platform: str) -> Descriptor | None:
    """The platform's descriptor, for templates (None for a platform no longer registered):
    pages ask it for names, kinds and logins instead of testing platform names."""
    return descriptor(platform) if is_platform(platform) else None


templates.env.globals["platform_facts"] = platform_facts

FLASH_KEY = "_flash"


def flash(request: Request, message: str, category: str = "success") -> None:
    """A message shown once on the next rendered page (success, error, warning, info)."""
    request.session.setdefault(FLASH_KEY, []).append({"message": message, "category": category})


def pop_flashes(request: Request) -> list[dict[str, str]]:
    flashes: list[dict[str, str]] = request.session.pop(FLASH_KEY, [])
    return flashes


# What a part of the product adds to every rendered page from the request alone (auth: the form's
# CSRF token), registered by that part, so this low module imports none of them.
RequestPart = Callable[[Request], dict[str, Any]]
_request_parts: list[RequestPart] = []


def request_part(part: RequestPart) -> RequestPart:
    if part not in _request_parts:
        _request_parts.append(part)
    return part


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    ctx: dict[str, Any] = {
        "csrf_token": "",
        "flashes": pop_flashes(request),
        "user": None,
        "businesses": [],
        "current_business": None,
        "current_role": None,
    }
    for part in _request_parts:
        ctx.update(part(request))
    ctx.update(context or {})
    return templates.TemplateResponse(request, template, ctx, status_code=status_code)


def redirect(url: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status_code)


# What each part of the product adds to every page's layout (the business switcher, the
# header bell): registered by the part itself when it is imported, so this low module needs
# to know none of them.
LayoutPart = Callable[[Any, Any], dict[str, Any]]
_layout_parts: list[LayoutPart] = []


def layout_part(part: LayoutPart) -> LayoutPart:
    """Register ``part(session, user) -> {name: value}`` for every page with the layout."""
    if part not in _layout_parts:
        _layout_parts.append(part)
    return part


def page_context(session: Any, user: Any, access: Any = None, **extra: Any) -> dict[str, Any]:
    """What the layout needs: the user, the parts' values, the current business."""
    context: dict[str, Any] = {"user": user, "businesses": [], "unread_notifications": 0}
    for part in _layout_parts:
        context.update(part(session, user))
    context.update(
        current_business=access.business if access is not None else None,
        current_role=access.role.value if access is not None else None,
        **extra,
    )
    return context
