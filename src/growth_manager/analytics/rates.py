"""The two rates the dashboard and the API show, computed one way everywhere.

**Engagement rate** = interactions / audience, where

- interactions = reactions (or, when the platform reports no ``reactions``, ``likes``)
  + ``comments`` + ``shares`` + ``reposts`` + ``quotes`` + ``saves`` + ``bookmarks``.
  Reactions already include likes on Facebook and LinkedIn, so the two are never added
  together; a metric the platform did not report counts as nothing, but when *none* of them
  was reported there are no interactions to count (not available).
- audience = ``impressions`` when reported and above 0, else ``reach`` when reported and
  above 0; otherwise not available.

**Click-through rate** = ``clicks`` / ``impressions``; not available without either, or
with 0 impressions.

Both are fractions (0.042 means 4.2 %). "Not available" is ``None``, never 0: a post nobody
could measure is not a post nobody liked. Over many posts, a rate is the sum of the
numerators over the sum of the denominators of the posts where the rate is available (an
average weighted by audience), never an average of averages.

The same formula in SQL (:func:`engagement_rate_sql`) sorts tables in the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, null, or_

# The interactions counted, in the order of the formula (reactions stand in for likes).
INTERACTION_METRICS = ("comments", "shares", "reposts", "quotes", "saves", "bookmarks")
ENGAGEMENT_RATE_FORMULA = (
    "(reactions, or likes when the platform reports no reactions, + comments + shares + "
    "reposts + quotes + saves + bookmarks) / impressions (reach when impressions are not "
    "reported or 0); null when no interaction or neither audience figure is reported"
)
CLICK_THROUGH_RATE_FORMULA = "clicks / impressions; null without clicks or impressions (or 0)"


def number(values: Mapping[str, Any], metric: str) -> float | None:
    """The value of ``metric`` in ``values`` (a post's ``latest``), or None when absent or not
    a number (``{"value": n}`` is read as ``n``)."""
    value = values.get(metric)
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def interactions(values: Mapping[str, Any]) -> float | None:
    """The numerator of the engagement rate; None when no interaction was reported."""
    reactions = number(values, "reactions")
    parts = [reactions if reactions is not None else number(values, "likes")]
    parts += [number(values, metric) for metric in INTERACTION_METRICS]
    known = [p for p in parts if p is not None]
    return sum(known) if known else None


def audience(values: Mapping[str, Any]) -> float | None:
    """The denominator of the engagement rate: impressions, else reach (None when neither is
    reported above 0)."""
    for metric in ("impressions", "reach"):
        value = number(values, metric)
        if value is not None and value > 0:
            return value
    return None


def engagement_rate(values: Mapping[str, Any]) -> float | None:
    """Interactions / audience (see the module); None when either is not available."""
    top, bottom = interactions(values), audience(values)
    if top is None or bottom is None:
        return None
    return top / bottom


def click_through_rate(values: Mapping[str, Any]) -> float | None:
    """clicks / impressions; None without clicks, or without impressions above 0."""
    clicks, impressions = number(values, "clicks"), number(values, "impressions")
    if clicks is None or impressions is None or impressions <= 0:
        return None
    return clicks / impressions


def ratio(numerator: float, denominator: float) -> float | None:
    """An aggregate rate: None when nothing was measured (denominator 0)."""
    return numerator / denominator if denominator > 0 else None


def change(now: float | None, before: float | None) -> float | None:
    """Relative change from ``before`` to ``now`` (0.1 = +10 %); None when either is missing
    or ``before`` is 0."""
    if now is None or before is None or before == 0:
        return None
    return (now - before) / before


# --- the same in SQL, for sorting ------------------------------------------------------------
def metric_sql(latest: Any, metric: str) -> ColumnElement[float]:
    """``latest[metric]`` as a float (NULL when absent), on SQLite and PostgreSQL alike."""
    return cast(latest[metric].as_float(), Float)


def _positive(value: ColumnElement[float]) -> ColumnElement[float]:
    return case((value > 0, value), else_=null())


def interactions_sql(latest: Any) -> ColumnElement[float]:
    reactions = metric_sql(latest, "reactions")
    likes = metric_sql(latest, "likes")
    parts = [metric_sql(latest, m) for m in INTERACTION_METRICS]
    anything = or_(reactions.is_not(None), likes.is_not(None), *(p.is_not(None) for p in parts))
    total: ColumnElement[float] = func.coalesce(reactions, likes, 0.0)
    for part in parts:
        total = total + func.coalesce(part, 0.0)
    return case((anything, total), else_=null())


def audience_sql(latest: Any) -> ColumnElement[float]:
    return func.coalesce(
        _positive(metric_sql(latest, "impressions")), _positive(metric_sql(latest, "reach"))
    )


def engagement_rate_sql(latest: Any) -> ColumnElement[float]:
    bottom = audience_sql(latest)
    top = interactions_sql(latest)
    return case((and_(top.is_not(None), bottom.is_not(None)), top / bottom), else_=null())


def click_through_rate_sql(latest: Any) -> ColumnElement[float]:
    impressions = _positive(metric_sql(latest, "impressions"))
    clicks = metric_sql(latest, "clicks")
    return case(
        (and_(clicks.is_not(None), impressions.is_not(None)), clicks / impressions),
        else_=null(),
    )
