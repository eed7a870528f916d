"""The Analytics dashboard page: the period's headline numbers per platform, followers and
engagement over time, a comparison of the platforms, the posts table (sorted and filtered on
the server, every number saying where it came from), and the sync panel (last and next sync,
"Sync now", progress while a sync runs, the result per platform, rate-limit warnings, the
history of syncs).

Charts are drawn by the vendored Chart.js from a ``<script type="application/json">`` block
(no inline script, per the CSP). The sync panel is a partial htmx polls while a sync runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from growth_manager.analytics import queries, rates, runs
from growth_manager.analytics.queries import Period, PostRow, QueryError
from growth_manager.analytics.schemas import PlatformSummary
from growth_manager.analytics.views import all_platforms, post_out, summary_out, zone_of
from growth_manager.auth.dependencies import DbSession, csrf_token
from growth_manager.business.access import BusinessAccess, BusinessEditor, BusinessViewer
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import RateLimitBudget, SocialAccount
from growth_manager.models.analytics import SyncStatus, SyncTrigger
from growth_manager.models.business import Role
from growth_manager.providers.base import METRICS
from growth_manager.providers.registry import descriptor, is_platform, platforms
from growth_manager.tokens import repository as token_repository
from growth_manager.web.templating import flash, page_context, redirect, render, templates

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
POLL_SECONDS = 2
# A budget this close to empty is worth a warning before a sync spends it.
LOW_BUDGET = 0.2
# The columns of the posts table: (sort key, heading).
TABLE_METRICS = (
    ("impressions", "Impressions"),
    ("reach", "Reach"),
    ("interactions", "Interactions"),
    ("clicks", "Clicks"),
    ("engagement_rate", "Eng. rate"),
    ("click_through_rate", "CTR"),
)

# Columns other packages add to the posts table (insights adds "vs usual"), so analytics needs
# not import them: key -> (heading, fn(session, rows) -> {remote_post_id: {"text", "title"}}).
ExtraColumn = Callable[[Session, Sequence[PostRow]], dict[int, dict[str, str]]]
EXTRA_COLUMNS: dict[str, tuple[str, ExtraColumn]] = {}


def post_column(key: str, heading: str) -> Callable[[ExtraColumn], ExtraColumn]:
    """Register the decorated function as the posts table's column ``key``."""

    def register(fn: ExtraColumn) -> ExtraColumn:
        EXTRA_COLUMNS[key] = (heading, fn)
        return fn

    return register


RANGES = (("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "12 months"))


# --- formatting -----------------------------------------------------------------------------------
def compact(value: Any) -> str:
    """12 345 → "12.3K"; not a number (None) → "—"."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    size = abs(value)
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e4, 1e3, "K")):
        if size >= limit:
            return f"{value / unit:.1f}{suffix}".replace(".0" + suffix, suffix)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent(value: Any, digits: int = 2) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—"
    return f"{value * 100:.{digits}f}%"


def signed(value: float | None, kind: str = "number") -> str:
    if value is None:
        return ""
    if kind == "relative":
        return f"{value * 100:+.0f}%"
    if kind == "points":
        return f"{value * 100:+.2f} pts"
    return f"{value:+,.0f}"


templates.env.filters["compact"] = compact
templates.env.filters["percent"] = percent
templates.env.filters["signed"] = signed


def headline_numbers(session: Session, business_id: int, now: datetime) -> list[PlatformSummary]:
    """Each platform's last 30 days against the 30 before, for the business overview."""
    period = Period(now - timedelta(days=30), now)
    return [summary_out(item) for item in queries.overview(session, business_id, period)]


# --- the sync side --------------------------------------------------------------------------------
def rate_limit_warnings(
    session: Session, accounts: Sequence[SocialAccount], zone: ZoneInfo
) -> list[dict[str, Any]]:
    """Budgets the platforms last reported as nearly spent (or spent and not reset yet)."""
    by_id = {a.id: a for a in accounts}
    now = utcnow()
    warnings = []
    for budget in token_repository.budgets_for(session, list(by_id)):
        if budget.reset_at is not None and budget.reset_at <= now:
            continue  # the window has reset since
        share = _left_share(budget)
        if share is None or share > LOW_BUDGET:
            continue
        account = by_id[budget.social_account_id]
        facts = descriptor(account.platform) if is_platform(account.platform) else None
        warnings.append(
            {
                "account": queries.account_label(account),
                "platform": facts.display_name if facts else account.platform,
                "purpose": facts.budget_purpose(budget.scope, budget.endpoint)
                if facts
                else budget.endpoint,
                "endpoint": budget.endpoint,
                "remaining": budget.remaining,
                "limit": budget.limit,
                "used_percent": budget.used_percent,
                "reset_at": budget.reset_at,
                "spent": share <= 0,
            }
        )
    return warnings


def _left_share(budget: RateLimitBudget) -> float | None:
    if budget.limit and budget.remaining is not None:
        return budget.remaining / budget.limit
    if budget.used_percent is not None:
        return 1 - budget.used_percent / 100
    return None


def sync_context(session: Session, access: BusinessAccess) -> dict[str, Any]:
    """What the sync panel shows, from the sync side's status and history."""
    business_id = access.business.id
    accounts = queries.connected(queries.accounts_of(session, business_id))
    status = runs.sync_status(session, business_id)
    history = list(runs.sync_history(session, business_id, limit=10))
    current = next((r for r in history if r.status is SyncStatus.running), None)
    return {
        "status": status,
        "history": history,
        "current": current,
        "latest": next((r for r in history if r.status is not SyncStatus.running), None),
        "next_sync": _next_sync(status),
        "warnings": rate_limit_warnings(session, accounts, zone_of(access)),
        "has_accounts": bool(accounts),
        "can_sync": access.can(Role.editor),
        "poll_seconds": POLL_SECONDS,
        "platform_name": queries.platform_name,
        "syncing": bool(status.get("is_syncing")) or current is not None,
    }


def _next_sync(status: dict[str, Any]) -> datetime | None:
    """The earliest next sync of a connected platform, else the business's next tick."""
    moments: list[datetime] = [
        item["next_sync"]
        for item in (status.get("platforms") or {}).values()
        if isinstance(item, dict) and isinstance(item.get("next_sync"), datetime)
    ]
    if moments:
        return min(moments)
    tick = status.get("next_sync_at")
    return tick if isinstance(tick, datetime) else None


# --- the page -------------------------------------------------------------------------------------
def read_filters(
    access: BusinessAccess,
    since: str | None,
    until: str | None,
    days: str | None,
    platform: list[str] | None,
) -> tuple[Period, list[str], list[str]]:
    """The period and platforms asked for, and what was wrong with the request (shown on
    the page, which then falls back to the default)."""
    zone = zone_of(access)
    problems: list[str] = []
    now = utcnow()
    try:
        if days and not since and not until:
            count = int(days) if days.isdigit() else 0
            if not 1 <= count <= 3660:
                raise QueryError(f"days must be a number from 1 to 3660; got {days!r}.")
            period = Period(now - timedelta(days=count), now)
        else:
            period = queries.parse_period(since or None, until or None, zone, now)
    except QueryError as error:
        problems.append(str(error))
        period = Period(now - timedelta(days=30), now)
    try:
        only = queries.parse_platforms(platform)
    except QueryError as error:
        problems.append(str(error))
        only = []
    return period, only, problems


def filter_values(
    since: str | None, until: str | None, days: str | None, only: Sequence[str]
) -> dict[str, Any]:
    """The filters as the form shows them again (partials/period_filters.html): the last 30
    days are chosen when no period was."""
    return {
        "since": since or "",
        "until": until or "",
        "days": days or ("" if since or until else "30"),
        "platform": list(only),
    }


def chart_data(
    session: Session, access: BusinessAccess, period: Period, only: Sequence[str], summary: Any
) -> dict[str, Any]:
    zone = zone_of(access)
    business_id = access.business.id
    days = queries.days_of(period, zone)
    labels = [d.isoformat() for d in days]
    accounts = queries.accounts_of(session, business_id, only)
    followers = queries.one_per_day(
        queries.account_history(session, [a.id for a in accounts], ["followers"], period), zone
    )
    follower_sets = []
    for account in accounts:
        points = followers.get((account.id, "followers"), [])
        if not points:
            continue
        by_day = dict(points)
        follower_sets.append(
            {
                "label": f"{queries.platform_name(account.platform)} · "
                f"{queries.account_label(account)}",
                "platform": account.platform,
                "data": [by_day[d].value if d in by_day else None for d in days],
                "sources": [
                    f"{by_day[d].source_field} (API {by_day[d].api_version})" if d in by_day else ""
                    for d in days
                ],
            }
        )
    engagement = queries.interactions_by_day(session, business_id, period, zone, only)
    engagement_sets = []
    for platform in platforms():
        if platform not in engagement:
            continue
        per_day = engagement[platform]
        engagement_sets.append(
            {
                "label": queries.platform_name(platform),
                "platform": platform,
                "data": [per_day[d][0] if d in per_day else None for d in days],
                "rates": [rates.ratio(*per_day[d]) if d in per_day else None for d in days],
            }
        )
    return {
        "labels": labels,
        "followers": follower_sets,
        "engagement": engagement_sets,
        "comparison": {
            "labels": [p.name for p in summary],
            "platforms": [p.platform for p in summary],
            "impressions": [p.current.impressions for p in summary],
            "interactions": [p.current.interactions for p in summary],
            "engagement_rate": [
                None if p.current.engagement_rate is None else p.current.engagement_rate * 100
                for p in summary
            ],
        },
    }


@router.get("/businesses/{business_id}/analytics")
def analytics_page(
    request: Request,
    session: DbSession,
    access: BusinessViewer,
    since: Annotated[str | None, Query()] = None,
    until: Annotated[str | None, Query()] = None,
    days: Annotated[str | None, Query()] = None,
    platform: Annotated[list[str] | None, Query()] = None,
    sort: Annotated[str, Query()] = "published_at",
    order: Annotated[str, Query()] = "desc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    business_id = access.business.id
    zone = zone_of(access)
    period, only, problems = read_filters(access, since, until, days, platform)
    try:
        sort_key, descending = queries.parse_sort(sort, order)
    except QueryError as error:
        problems.append(str(error))
        sort_key, descending = "published_at", True
    items = queries.overview(session, business_id, period, only)
    summary = [summary_out(i) for i in items]
    totals = summary_out(all_platforms(items))
    rows, total = queries.posts(
        session,
        business_id,
        period,
        only,
        sort=sort_key,
        descending=descending,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        search=q or None,
    )
    provenance = queries.latest_snapshots(session, [r.post.id for r in rows])
    extra = {key: fn(session, rows) for key, (_heading, fn) in EXTRA_COLUMNS.items()}
    table = []
    for row in rows:
        out = post_out(row, business_id)
        sources = provenance.get(row.post.id, {})
        table.append(
            {
                "post": out,
                "platform_name": queries.platform_name(out.platform),
                "extra": {key: cells.get(row.post.id) for key, cells in extra.items()},
                "titles": {m: queries.provenance_title(m, sources.get(m), zone) for m in METRICS},
                "sources": sorted(
                    sources.values(),
                    key=lambda s: list(METRICS).index(s.metric) if s.metric in METRICS else 99,
                ),
            }
        )
    filters = {**filter_values(since, until, days, only), "q": q or ""}

    def link(**changes: Any) -> str:
        params: dict[str, Any] = {k: v for k, v in filters.items() if v}
        params.update({"sort": sort_key, "order": "desc" if descending else "asc"})
        params.update(changes)
        return f"/businesses/{business_id}/analytics?" + urlencode(
            {k: v for k, v in params.items() if v not in (None, "", [])}, doseq=True
        )

    def sort_link(key: str) -> str:
        flip = "asc" if sort_key == key and descending else "desc"
        return link(sort=key, order=flip, page=None)

    csv_query = urlencode(
        {
            "since": period.since.isoformat(),
            "until": period.until.isoformat(),
            "sort": sort_key,
            "order": "desc" if descending else "asc",
            "format": "csv",
            **({"platforms": ",".join(only)} if only else {}),
            **({"q": q} if q else {}),
        }
    )
    return render(
        request,
        "analytics/page.html",
        page_context(
            session,
            access.user,
            access,
            period=period,
            period_end=period.until - timedelta(seconds=1),
            summary=summary,
            totals=totals,
            charts=chart_data(session, access, period, only, summary),
            table=table,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            sort=sort_key,
            descending=descending,
            sort_link=sort_link,
            page_link=lambda n: link(page=n),
            filters=filters,
            problems=problems,
            all_platforms=[(p, queries.platform_name(p)) for p in platforms()],
            ranges=RANGES,
            table_metrics=TABLE_METRICS,
            extra_columns=[(key, heading) for key, (heading, _fn) in EXTRA_COLUMNS.items()],
            csv_url=f"/api/v1/businesses/{business_id}/analytics/posts?{csv_query}",
            er_formula=rates.ENGAGEMENT_RATE_FORMULA,
            ctr_formula=rates.CLICK_THROUGH_RATE_FORMULA,
            sync=sync_context(session, access),
        ),
    )


@router.get("/businesses/{business_id}/analytics/sync")
def sync_panel(request: Request, session: DbSession, access: BusinessViewer) -> Response:
    """The sync panel alone (polled by htmx while a sync runs)."""
    # Not ``render``: a poll must not take the flash messages meant for the next page.
    return templates.TemplateResponse(
        request,
        "analytics/_sync.html",
        {
            "csrf_token": csrf_token(request),
            "current_business": access.business,
            "current_role": access.role.value,
            "sync": sync_context(session, access),
        },
    )


@router.post("/businesses/{business_id}/analytics/sync")
def sync_now(request: Request, session: DbSession, access: BusinessEditor) -> Response:
    """Starts a sync of every connected account (the sync side coalesces it with one already
    running) and comes back to the page, whose panel then follows it."""
    back = f"/businesses/{access.business.id}/analytics"
    run = runs.start_sync(
        session, access.business.id, trigger=SyncTrigger.manual, user_id=access.user.id
    )
    flash(request, f"Sync started (run {run.id}).", "success")
    if request.headers.get("HX-Request"):
        return sync_panel(request, session, access)
    return redirect(back + "#sync")
