"""The Insights page: every registered section (:mod:`.sections`) for the period and
platforms chosen, each with the numbers behind it."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from growth_manager.analytics.pages import RANGES, filter_values, read_filters
from growth_manager.analytics.views import zone_of
from growth_manager.auth.dependencies import DbSession, csrf_token
from growth_manager.business.access import BusinessViewer
from growth_manager.insights import sections
from growth_manager.providers.registry import descriptor, platforms
from growth_manager.web.templating import page_context, render

router = APIRouter(include_in_schema=False)

# The modules whose sections the page shows (importing one registers its sections).
SECTION_MODULES: tuple[str, ...] = (
    "growth_manager.insights.works",
    "growth_manager.insights.recycling",
    "growth_manager.insights.sentiment_section",
    "growth_manager.competitors.insight",
    "growth_manager.insights.besttime",
    "growth_manager.insights.performance",
    "growth_manager.insights.growth",
)


def _load_sections() -> list[sections.Section]:
    for name in SECTION_MODULES:
        importlib.import_module(name)
    return sections.ordered()


@router.get("/businesses/{business_id}/insights")
def insights_page(
    request: Request,
    session: DbSession,
    access: BusinessViewer,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    days: Annotated[str | None, Query()] = None,
    platform: Annotated[list[str] | None, Query()] = None,
) -> Response:
    period, only, problems = read_filters(access, since, until, days, platform)
    chosen = sections.Filters(
        period=period, platforms=only, zone=zone_of(access), params=dict(request.query_params)
    )
    shown = _load_sections()
    contexts: dict[str, dict[str, Any]] = {s.key: s.context(session, access, chosen) for s in shown}
    return render(
        request,
        "insights/page.html",
        page_context(
            session,
            access.user,
            access,
            csrf_token=csrf_token(request),
            sections=shown,
            contexts=contexts,
            period=period,
            problems=problems,
            ranges=RANGES,
            all_platforms=[(p, descriptor(p).display_name) for p in platforms()],
            filters=filter_values(since, until, days, only),
        ),
    )
