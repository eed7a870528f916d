"""The Insights page's "How people feel" section: the period's comment tone, per week and per
post, and the most negative comments with a link to answer each on its platform."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from growth_manager.business.access import BusinessAccess
from growth_manager.insights import sections, sentiment


@sections.section("sentiment", "How people feel", "_sentiment.html", order=40)
def sentiment_context(session: Session, access: BusinessAccess, filters: sections.Filters) -> Any:
    report: dict[str, Any] = sentiment.report(
        session, access.business.id, filters.period, filters.platforms, most_negative=8
    )
    report["by_post"] = report["by_post"][:10]
    return report
