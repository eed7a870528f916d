"""Audience growth per account: followers gained and lost per week, the growth rate, and the
posts published around the biggest jumps.

Weeks run Monday to Monday in the business's time zone. A week's **net change** is the last
``followers`` snapshot of the week minus the last one before it (the first one of the week
when the history starts inside it). Snapshots give only that net change: 30 new followers and
10 gone look like +20. Where the platform reports new followers themselves (``follower_gain``:
LinkedIn pages' ``followerGains``, Facebook's ``page_daily_follows_unique``), the week's
**gained** is their sum and **lost** is ``gained − net`` (never below 0); elsewhere both are
unknown (null). The **growth rate** is the net change over the followers at the week's start.
The **biggest jumps** are the :data:`JUMPS` weeks with the largest absolute net change; the
posts around one are those published from :data:`LEAD` before the week until its end.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from growth_manager.analytics.queries import Period, account_label
from growth_manager.insights import posts as facts
from growth_manager.insights import sections
from growth_manager.insights.besttime import as_utc

JUMPS = 3
LEAD = timedelta(days=2)
POSTS_PER_JUMP = 3


def week_starts(period: Period, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants of the local Mondays 00:00 starting the weeks that overlap ``period``."""
    local = as_utc(period.since).astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    out: list[datetime] = []
    day = monday.date()
    while True:
        start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        if start >= as_utc(period.until):
            return out
        out.append(start)
        day = day + timedelta(days=7)


def gains(session: Session, account_ids: Sequence[int]) -> dict[int, list[tuple[datetime, float]]]:
    """Each account's ``follower_gain`` snapshots (when the platform reports them)."""
    return facts.account_series(session, account_ids, "follower_gain")


def weekly(
    times: Sequence[datetime],
    values: Sequence[float],
    gained: Sequence[tuple[datetime, float]],
    starts: Sequence[datetime],
    until: datetime,
) -> list[dict[str, Any]]:
    """One row per week: followers at its start and end, net change, gained, lost, rate."""
    times = [as_utc(t) for t in times]
    rows: list[dict[str, Any]] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else until
        before = bisect.bisect_left(times, start) - 1  # the last snapshot before the week
        last = bisect.bisect_left(times, end) - 1  # the last snapshot in the week
        first_inside = before + 1
        row: dict[str, Any] = {
            "week_start": start,
            "followers_start": None,
            "followers_end": None,
            "net": None,
            "gained": None,
            "lost": None,
            "growth_rate": None,
        }
        if last >= 0 and last >= first_inside:
            begin = before if before >= 0 else first_inside
            row["followers_start"] = values[begin]
            row["followers_end"] = values[last]
            if last > begin:
                net = values[last] - values[begin]
                row["net"] = net
                if values[begin]:
                    row["growth_rate"] = net / values[begin]
        week_gains = [v for at, v in gained if start <= at < end]
        if week_gains:
            row["gained"] = sum(week_gains)
            if row["net"] is not None:
                row["lost"] = max(row["gained"] - row["net"], 0.0)
        rows.append(row)
    return rows


def growth(
    session: Session,
    business_id: int,
    period: Period,
    zone: ZoneInfo,
    *,
    platforms: Sequence[str] = (),
    account_ids: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """Per account: weekly rows, the period's net change and rate, and the biggest jumps with
    the posts published around them."""
    accounts = facts.accounts(session, business_id, platforms, account_ids)
    ids = [a.id for a in accounts]
    history = facts.follower_history(session, ids)
    gained = gains(session, ids)
    starts = week_starts(period, zone)
    published = facts.load(
        session,
        business_id,
        Period(period.since - LEAD - timedelta(days=7), period.until),
        account_ids=ids,
    )
    out: list[dict[str, Any]] = []
    for account in accounts:
        times = history.times.get(account.id, [])
        values = history.values.get(account.id, [])
        weeks = weekly(times, values, gained.get(account.id, []), starts, as_utc(period.until))
        known = [w for w in weeks if w["net"] is not None]
        first = next(
            (w["followers_start"] for w in weeks if w["followers_start"] is not None), None
        )
        last = next(
            (w["followers_end"] for w in reversed(weeks) if w["followers_end"] is not None), None
        )
        net = None if first is None or last is None or not known else last - first
        jumps = sorted(known, key=lambda w: (-abs(w["net"]), w["week_start"]))[:JUMPS]
        jump_rows = []
        for week in jumps:
            start = week["week_start"]
            end = start + timedelta(days=7)
            around = [
                p
                for p in published
                if p.account_id == account.id and start - LEAD <= as_utc(p.published_at) < end
            ]
            around.sort(key=lambda p: -(p.interactions or 0))
            jump_rows.append({**week, "posts": around[:POSTS_PER_JUMP]})
        out.append(
            {
                "account": account,
                "label": account_label(account),
                "weeks": weeks,
                "followers_start": first,
                "followers_end": last,
                "net": net,
                "growth_rate": net / first if net is not None and first else None,
                "reports_gains": account.id in gained,
                "jumps": jump_rows,
            }
        )
    return out


@sections.section("growth", "Audience growth", "_growth.html", 30)
def growth_section(session: Session, access: Any, filters: sections.Filters) -> dict[str, Any]:
    found = growth(
        session, access.business.id, filters.period, filters.zone, platforms=filters.platforms
    )
    return {"accounts": found, "jumps": JUMPS}
