"""The Insights page's "How you compare" section: per platform where competitors can be read,
the business's own accounts against the median of its competitors (followers, growth, posts
per week, engagement per post), linking to the Competitors page for the whole table."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy.orm import Session

from growth_manager.analytics.queries import platform_name
from growth_manager.business.access import BusinessAccess
from growth_manager.competitors import comparison
from growth_manager.insights import sections

MEASURES = (
    ("followers", "Followers"),
    ("growth_percent", "Growth %"),
    ("posts_per_week", "Posts / week"),
    ("engagement_per_post", "Engagement / post"),
)


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


@sections.section("compare", "How you compare", "competitors.html", order=90)
def how_you_compare(
    session: Session, access: BusinessAccess, filters: sections.Filters
) -> dict[str, Any]:
    rows = comparison.compare(session, access.business.id, filters.period, filters.platforms)
    platforms: list[dict[str, Any]] = []
    for platform in dict.fromkeys(r.platform for r in rows):
        own = [r for r in rows if r.platform == platform and r.kind == "own"]
        rivals = [r for r in rows if r.platform == platform and r.kind == "competitor"]
        if not own or not rivals:
            continue
        measures = []
        for key, label in MEASURES:
            mine = [getattr(r, key) for r in own if getattr(r, key) is not None]
            theirs = [getattr(r, key) for r in rivals if getattr(r, key) is not None]
            measures.append(
                {
                    "key": key,
                    "label": label,
                    "you": _median(mine),
                    "competitors": _median(theirs),
                    "count": len(theirs),
                }
            )
        platforms.append(
            {
                "platform": platform,
                "platform_name": platform_name(platform),
                "measures": measures,
                "competitors": len(rivals),
            }
        )
    return {
        "platforms": platforms,
        "link": f"/businesses/{access.business.id}/competitors",
        "has_rows": bool(rows),
    }
