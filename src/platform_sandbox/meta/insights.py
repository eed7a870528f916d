"""Insights for Page posts, Pages, Instagram media and Instagram accounts (reference C.5).

Metric names are the current ones; deprecated names answer the invalid-metric error from the
date Meta retired them (on the sandbox clock), and one bad metric fails the whole request as on
the real API. Page and account numbers are sums of the audience model's per-post growth inside
each day, so they agree with the posts' own metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from platform_sandbox import audience
from platform_sandbox.meta import common, errors
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.meta.metrics import (
    fb_metrics,
    ig_features,
    ig_metrics,
    post_features,
    reactions_by_type,
)
from platform_sandbox.meta.models import MetaIgAccount, MetaIgMedia, MetaPage, MetaPost

# --- deprecations (C.5) ------------------------------------------------------------------------

_2024_03_14 = date(2024, 3, 14)
_2024_09_01 = date(2024, 9, 1)
_2025_11_15 = date(2025, 11, 15)
# The deprecation page says "By June 15, 2025", the insights reference "June 15, 2026"; the
# later date is the safer reading for clients.
_2026_06_15 = date(2026, 6, 15)

DEPRECATED_FB: dict[str, date] = {
    **dict.fromkeys(
        (
            "page_engaged_users",
            "page_consumptions",
            "page_consumptions_unique",
            "page_consumptions_by_consumption_type",
            "page_consumptions_by_consumption_type_unique",
            "page_impressions_by_story_type",
            "page_impressions_by_story_type_unique",
            "page_impressions_by_city_unique",
            "page_impressions_by_country_unique",
            "page_impressions_by_locale_unique",
            "page_impressions_by_age_gender_unique",
            "page_impressions_frequency_distribution",
            "page_impressions_viral_frequency_distribution",
            "page_negative_feedback",
            "page_negative_feedback_unique",
            "page_negative_feedback_by_type",
            "page_negative_feedback_by_type_unique",
            "page_positive_feedback_by_type",
            "page_positive_feedback_by_type_unique",
            "page_fans_online",
            "page_fans_online_per_day",
            "page_views_external_referrals",
            "page_views_logged_in_total",
            "page_views_logged_in_unique",
        ),
        _2024_03_14,
    ),
    **dict.fromkeys(
        (
            "post_engaged_users",
            "post_clicks_unique",
            "post_negative_feedback",
            "post_negative_feedback_unique",
            "post_negative_feedback_by_type",
            "post_impressions_organic",
            "post_engaged_fan",
        ),
        _2024_09_01,
    ),
    **dict.fromkeys(
        (
            "page_impressions",
            "page_impressions_paid",
            "page_impressions_organic_v2",
            "page_impressions_viral",
            "page_impressions_nonviral",
            "post_impressions",
            "post_impressions_paid",
            "post_impressions_viral",
            "post_impressions_nonviral",
            "post_impressions_fan",
            "page_fans",
            "page_fan_adds",
            "page_fan_removes",
            "page_fan_adds_unique",
            "page_fan_removes_unique",
            "page_fans_city",
            "page_fans_country",
            "page_fans_locale",
            "page_fans_gender_age",
            "page_fan_adds_by_paid_non_paid_unique",
        ),
        _2025_11_15,
    ),
    **dict.fromkeys(
        (
            "post_impressions_unique",
            "page_impressions_unique",
            "post_impressions_paid_unique",
            "post_impressions_fan_unique",
            "post_impressions_organic_unique",
            "post_impressions_viral_unique",
            "post_impressions_nonviral_unique",
            "page_impressions_paid_unique",
            "page_impressions_organic_unique_v2",
            "page_impressions_viral_unique",
            "page_impressions_nonviral_unique",
            "page_posts_impressions",
            "page_posts_impressions_unique",
            "page_posts_impressions_paid",
            "page_posts_impressions_paid_unique",
            "page_posts_impressions_organic",
            "page_posts_impressions_organic_unique",
            "page_posts_impressions_viral",
            "page_posts_impressions_viral_unique",
            "page_posts_impressions_nonviral",
            "page_posts_impressions_nonviral_unique",
        ),
        _2026_06_15,
    ),
}

# Before its retirement a legacy metric still answers, with the value of its successor.
LEGACY_EQUIVALENT = {
    "post_impressions": "post_media_view",
    "post_impressions_unique": "post_total_media_view_unique",
    "post_impressions_organic": "post_media_view",
    "post_impressions_organic_unique": "post_total_media_view_unique",
    "post_engaged_users": "post_clicks",
    "post_clicks_unique": "post_clicks",
    "page_impressions": "page_media_view",
    "page_impressions_unique": "page_total_media_view_unique",
    "page_posts_impressions": "page_media_view",
    "page_posts_impressions_unique": "page_total_media_view_unique",
    "page_engaged_users": "page_post_engagements",
    "page_fans": "page_follows",
    "page_fan_adds": "page_daily_follows",
    "page_fan_adds_unique": "page_daily_follows_unique",
    "page_fan_removes_unique": "page_daily_unfollows_unique",
}


def invalid_metric() -> GraphError:
    return GraphError("(#100) The value must be a valid insights metric", 100)


def no_metric() -> GraphError:
    return GraphError(
        "Invalid query",
        3001,
        1504028,
        is_transient=False,
        user_title="No Metric Specified",
        user_msg="No metric was specified to be fetched. Please specify one or more metrics to "
        "be fetched and try again.",
    )


def _metric_names(raw: str | None) -> list[str]:
    if raw is None:
        return []
    text = raw.strip()
    if text.startswith("["):  # some SDKs send a JSON array
        text = text.strip("[]").replace('"', "")
    return [m.strip() for m in text.split(",") if m.strip()]


def _current_name(call: Call, name: str, known: dict[str, Any]) -> str:
    retired = DEPRECATED_FB.get(name)
    if retired is not None:
        if call.now.date() >= retired or LEGACY_EQUIVALENT.get(name) not in known:
            raise invalid_metric()
        return LEGACY_EQUIVALENT[name]
    if name not in known:
        raise invalid_metric()
    return name


def _entry(
    object_id: str,
    name: str,
    period: str,
    title: str,
    description: str,
    values: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "name": name,
        "period": period,
        "values": values,
        "title": title,
        "description": description,
        "id": f"{object_id}/insights/{name}/{period}",
    }


# --- Page posts --------------------------------------------------------------------------------

MetricFn = Callable[[audience.PostMetrics], Any]


def _clicks_by_type(m: audience.PostMetrics) -> dict[str, int]:
    link = m.clicks // 2
    photo = m.clicks // 4
    return {"other clicks": m.clicks - link - photo, "link clicks": link, "photo view": photo}


def _reaction(kind: str) -> MetricFn:
    return lambda m: reactions_by_type(m.likes)[kind]


POST_METRICS: dict[str, tuple[str, str, MetricFn]] = {
    "post_media_view": (
        "Media views",
        "The number of times your post was on screen.",
        lambda m: m.impressions,
    ),
    "post_total_media_view_unique": (
        "Media viewers",
        "The number of people who saw your post at least once.",
        lambda m: m.reach,
    ),
    "post_clicks": (
        "Post clicks",
        "The number of clicks anywhere in your post.",
        lambda m: m.clicks,
    ),
    "post_clicks_by_type": (
        "Post clicks by type",
        "Clicks on your post, by type.",
        _clicks_by_type,
    ),
    "post_reactions_by_type_total": (
        "Total post reactions by type",
        "Total post reactions by type.",
        lambda m: {
            k.lower().replace("sad", "sorry").replace("angry", "anger"): v
            for k, v in reactions_by_type(m.likes).items()
        },
    ),
    "post_reactions_like_total": (
        "Like reactions",
        "Total like reactions of a post.",
        _reaction("LIKE"),
    ),
    "post_reactions_love_total": (
        "Love reactions",
        "Total love reactions of a post.",
        _reaction("LOVE"),
    ),
    "post_reactions_wow_total": (
        "Wow reactions",
        "Total wow reactions of a post.",
        _reaction("WOW"),
    ),
    "post_reactions_haha_total": (
        "Haha reactions",
        "Total haha reactions of a post.",
        _reaction("HAHA"),
    ),
    "post_reactions_sorry_total": (
        "Sorry reactions",
        "Total sorry reactions of a post.",
        _reaction("SAD"),
    ),
    "post_reactions_anger_total": (
        "Anger reactions",
        "Total anger reactions of a post.",
        _reaction("ANGRY"),
    ),
    "post_activity_by_action_type": (
        "Post stories by action type",
        "The number of stories created about your post, by action type.",
        lambda m: {"share": m.shares, "like": m.likes, "comment": m.comments},
    ),
    "post_video_views": (
        "3-second video views",
        "The number of times your video played for at least 3 seconds.",
        lambda m: m.video_views,
    ),
}


def post_insights(
    call: Call, node: Node, metric_param: str | None, period: str | None
) -> dict[str, Any]:
    names = _metric_names(metric_param)
    if not names:
        raise no_metric()
    post: MetaPost = node.row
    resolved = [(name, _current_name(call, name, POST_METRICS)) for name in names]
    metrics = fb_metrics(call.ctx, post, call.now)
    data = []
    for asked, current in resolved:
        title, description, fn = POST_METRICS[current]
        data.append(
            _entry(node.id, asked, "lifetime", title, description, [{"value": fn(metrics)}])
        )
    return {"data": data}


# --- Pages ---------------------------------------------------------------------------------------

# Meta's day ends at midnight Pacific; a fixed 08:00 UTC keeps the series regular.
DAY_END_HOUR = 8
MAX_WINDOW = timedelta(days=90)
_RAMP = timedelta(days=4)  # after four days a post's curve is flat to the last unit


@dataclass(frozen=True)
class _Item:
    profile: audience.AudienceProfile
    key: str
    features: audience.PostFeatures


def _totals(call: Call, items: list[_Item], start: datetime, end: datetime) -> dict[str, int]:
    """Growth of every metric of ``items`` between ``start`` and ``end``."""
    keys = (
        "impressions",
        "reach",
        "likes",
        "comments",
        "shares",
        "clicks",
        "saves",
        "video_views",
        "profile_visits",
    )
    out = dict.fromkeys(keys, 0)
    seed = call.ctx.seed
    for item in items:
        posted = item.features.posted_at
        if posted >= end or posted < start - _RAMP:
            continue
        at_end = audience.post_metrics(seed, item.profile, item.key, item.features, end)
        at_start = audience.post_metrics(seed, item.profile, item.key, item.features, start)
        for key in keys:
            out[key] += getattr(at_end, key) - getattr(at_start, key)
    return out


def _page_items(call: Call, page: MetaPage) -> list[_Item]:
    profile = common.profile_of_page(call.ctx, page.id)
    posts = call.session.scalars(
        select(MetaPost).where(MetaPost.page_id == page.id, MetaPost.published.is_(True))
    )
    return [_Item(profile, p.audience_key, post_features(p)) for p in posts]


PageFn = Callable[[Call, audience.AudienceProfile, dict[str, int], datetime, datetime], Any]


def _follows_gained(profile: audience.AudienceProfile, start: datetime, end: datetime) -> int:
    return max(0, audience.followers_at(profile, end) - audience.followers_at(profile, start))


def _unfollows(profile: audience.AudienceProfile, start: datetime, end: datetime) -> int:
    # Net growth hides churn; about one in seven new follows is offset by an unfollow.
    return _follows_gained(profile, start, end) // 6


PAGE_METRICS: dict[str, tuple[str, str, tuple[str, ...], PageFn]] = {
    "page_media_view": (
        "Media views",
        "The number of times your Page's content was on screen.",
        ("day", "week", "days_28"),
        lambda c, p, t, s, e: t["impressions"],
    ),
    "page_total_media_view_unique": (
        "Media viewers",
        "The number of people who saw your Page's content at least once.",
        ("day", "week", "days_28"),
        lambda c, p, t, s, e: int(t["reach"] * 0.8),
    ),
    "page_post_engagements": (
        "Post engagements",
        "The number of times people engaged with your posts.",
        ("day", "week", "days_28"),
        lambda c, p, t, s, e: t["likes"] + t["comments"] + t["shares"] + t["clicks"],
    ),
    "page_follows": (
        "Followers",
        "The number of followers of your Page.",
        ("day",),
        lambda c, p, t, s, e: audience.followers_at(p, e),
    ),
    "page_daily_follows": (
        "Daily follows",
        "The number of new follows of your Page.",
        ("day",),
        lambda c, p, t, s, e: _follows_gained(p, s, e) + _unfollows(p, s, e),
    ),
    "page_daily_follows_unique": (
        "Daily new followers",
        "The number of people who followed your Page.",
        ("day",),
        lambda c, p, t, s, e: _follows_gained(p, s, e) + _unfollows(p, s, e),
    ),
    "page_daily_unfollows_unique": (
        "Daily unfollows",
        "The number of people who unfollowed your Page.",
        ("day",),
        lambda c, p, t, s, e: _unfollows(p, s, e),
    ),
    "page_views_total": (
        "Page views",
        "The number of times your Page's profile was viewed.",
        ("day", "week", "days_28"),
        lambda c, p, t, s, e: t["profile_visits"] * 3,
    ),
    "page_video_views": (
        "Video views",
        "The number of times your Page's videos played.",
        ("day", "week", "days_28"),
        lambda c, p, t, s, e: t["video_views"],
    ),
    "page_actions_post_reactions_total": (
        "Reactions",
        "Reactions on your Page's posts by type.",
        ("day", "week", "days_28"),
        lambda c, p, t, s, e: {
            k.lower().replace("sad", "sorry").replace("angry", "anger"): v
            for k, v in reactions_by_type(t["likes"]).items()
        },
    ),
}

PERIOD_DAYS = {"day": 1, "week": 7, "days_28": 28}


def _day_end(at: datetime) -> datetime:
    end = at.astimezone(UTC).replace(hour=DAY_END_HOUR, minute=0, second=0, microsecond=0)
    return end if end >= at else end + timedelta(days=1)


def _window(call: Call) -> tuple[datetime, datetime]:
    """The day ends covered: ``(first end_time, last end_time)``."""
    now = call.now
    last_complete = _day_end(now) - timedelta(days=1)
    since_raw, until_raw = call.param("since"), call.param("until")
    since = common.parse_time(since_raw) if since_raw else None
    until = common.parse_time(until_raw) if until_raw else None
    if since_raw and since is None:
        raise errors.invalid_parameter("The since parameter is not valid")
    if until_raw and until is None:
        raise errors.invalid_parameter("The until parameter is not valid")
    if since is None and until is None:
        return last_complete - timedelta(days=1), last_complete
    if until is None:
        until = now
    if since is None:
        since = until - timedelta(days=2)
    if until - since > MAX_WINDOW:
        raise errors.invalid_parameter(
            "There cannot be more than 90 days (7776000 s) between since and until"
        )
    first = _day_end(since + timedelta(seconds=1))
    last = min(
        _day_end(until) - timedelta(days=1) if _day_end(until) > until else until, last_complete
    )
    return first, last


def _paging_links(call: Call, first: datetime, last: datetime) -> dict[str, str]:
    span = last - first + timedelta(days=1)
    base = {
        k: v
        for k, v in call.params.items()
        if k not in ("since", "until", "access_token") and isinstance(v, str)
    }

    def link(since: datetime, until: datetime) -> str:
        query = urlencode(
            {**base, "since": int(since.timestamp()), "until": int(until.timestamp())}
        )
        return f"{call.link.split('?', 1)[0]}?{query}"

    start = first - timedelta(days=1)
    return {
        "previous": link(start - span, start),
        "next": link(last, last + span),
    }


def page_insights(call: Call, node: Node, metric_param: str | None) -> dict[str, Any]:
    names = _metric_names(metric_param)
    if not names:
        raise no_metric()
    period = call.param("period") or "day"
    if period not in PERIOD_DAYS and period != "lifetime":
        raise errors.invalid_parameter("Param period must be one of {day, week, days_28}")
    resolved = [(name, _current_name(call, name, PAGE_METRICS)) for name in names]
    page: MetaPage = node.row
    profile = common.profile_of_page(call.ctx, page.id)
    first, last = _window(call)
    items = _page_items(call, page)
    days = []
    end = first
    while end <= last:
        days.append(end)
        end += timedelta(days=1)
    data = []
    for asked, current in resolved:
        title, description, periods, fn = PAGE_METRICS[current]
        if period not in periods:
            # Meta leaves a metric out when it has no value for the period asked.
            continue
        span = timedelta(days=PERIOD_DAYS[period])
        values = []
        for day_end in days:
            start = day_end - span
            totals = _totals(call, items, start, day_end)
            values.append(
                {
                    "value": fn(call, profile, totals, start, day_end),
                    "end_time": common.graph_time(day_end),
                }
            )
        data.append(_entry(node.id, asked, period, title, description, values))
    out: dict[str, Any] = {"data": data}
    if days:
        out["paging"] = _paging_links(call, days[0], days[-1])
    return out


# --- Instagram media -----------------------------------------------------------------------------

IgFn = Callable[[audience.PostMetrics, MetaIgMedia], Any]

IG_MEDIA_METRICS: dict[str, tuple[str, str, IgFn]] = {
    "views": (
        "Views",
        "The number of times your content was played or displayed.",
        lambda m, x: m.impressions,
    ),
    "reach": (
        "Accounts reached",
        "The number of unique accounts that have seen this post at least once.",
        lambda m, x: m.reach,
    ),
    "likes": ("Likes", "The number of likes on your post.", lambda m, x: m.likes),
    "comments": ("Comments", "The number of comments on your post.", lambda m, x: m.comments),
    "shares": ("Shares", "The number of shares of your post.", lambda m, x: m.shares),
    "saved": ("Saved", "The number of saves of your post.", lambda m, x: m.saves),
    "total_interactions": (
        "Interactions",
        "The number of likes, saves, comments and shares on your post, minus "
        "the number of unlikes, unsaves and deleted comments.",
        lambda m, x: m.likes + m.comments + m.shares + m.saves,
    ),
    "profile_visits": (
        "Profile visits",
        "The number of times your profile was visited.",
        lambda m, x: m.profile_visits,
    ),
    "profile_activity": (
        "Profile activity",
        "The number of actions people took on your profile after engaging with your post.",
        lambda m, x: m.profile_visits,
    ),
    "follows": (
        "Follows",
        "The number of accounts that started following you.",
        lambda m, x: m.profile_visits // 5,
    ),
}
REELS_ONLY = {
    "ig_reels_avg_watch_time": (
        "Average watch time",
        "The average amount of time spent playing your reel.",
        lambda m, x: 6_500 + m.reach % 4_000,
    ),
    "ig_reels_video_view_total_time": (
        "Watch time",
        "The total amount of time your reel was played.",
        lambda m, x: m.video_views * 7_000,
    ),
}
# Retired: ``impressions`` (for media created after 2024-07-01, and on v22.0+ for all media),
# ``plays`` and the reels replay counts, ``video_views``.
IG_RETIRED = (
    "impressions",
    "plays",
    "clips_replays_count",
    "ig_reels_aggregated_all_plays_count",
    "video_views",
    "engagement",
    "carousel_album_impressions",
)
IG_IMPRESSIONS_CUTOFF = datetime(2024, 7, 2, tzinfo=UTC)


def ig_media_insights(call: Call, node: Node, metric_param: str | None) -> dict[str, Any]:
    names = _metric_names(metric_param)
    if not names:
        raise errors.invalid_parameter("The parameter metric is required")
    media: MetaIgMedia = node.row
    known = dict(IG_MEDIA_METRICS)
    if media.media_product_type == "REELS":
        known.update(REELS_ONLY)
    unsupported = []
    for index, name in enumerate(names):
        if name in IG_RETIRED:
            legacy_ok = (
                name == "impressions"
                and media.timestamp < IG_IMPRESSIONS_CUTOFF
                and common.version_number(call.version) < 22
            )
            if not legacy_ok:
                unsupported.append(name)
        elif name not in known:
            raise errors.invalid_parameter(
                f"metric[{index}] must be one of the following values: {', '.join(known)}"
            )
    if unsupported:
        raise errors.invalid_parameter(
            f"The Media Insights API does not support the {', '.join(unsupported)} metric for "
            "this media product type."
        )
    metrics = ig_metrics(call.ctx, media, call.now)
    data = []
    for name in names:
        if name == "impressions":
            title, description, value = (
                "Impressions",
                "Total number of times the media object has been seen",
                metrics.impressions,
            )
        else:
            title, description, fn = known[name]
            value = fn(metrics, media)
        data.append(_entry(node.id, name, "lifetime", title, description, [{"value": value}]))
    return {"data": data}


# --- Instagram accounts --------------------------------------------------------------------------

IG_ACCOUNT_TIME_SERIES = {"reach", "follower_count", "impressions"}
IG_ACCOUNT_TOTALS: dict[str, tuple[str, str]] = {
    "views": ("Views", "The number of times your content was played or displayed."),
    "reach": ("Accounts reached", "The number of unique accounts that have seen your content."),
    "accounts_engaged": (
        "Accounts engaged",
        "The number of accounts that have interacted with your content.",
    ),
    "total_interactions": ("Content interactions", "The total number of post interactions."),
    "likes": ("Likes", "The number of likes on your posts."),
    "comments": ("Comments", "The number of comments on your posts."),
    "shares": ("Shares", "The number of shares of your posts."),
    "saves": ("Saves", "The number of saves of your posts."),
    "replies": ("Replies", "The number of replies to your stories."),
    "profile_views": ("Profile views", "The number of times your profile was visited."),
    "profile_links_taps": ("Profile link taps", "The number of taps on your profile links."),
    "website_clicks": ("Website clicks", "The number of taps on your website link."),
    "follows_and_unfollows": (
        "Follows and unfollows",
        "The number of accounts that followed and unfollowed you.",
    ),
    "follower_count": ("Follower count", "The number of new followers each day."),
}


def _ig_value(
    name: str, profile: audience.AudienceProfile, t: dict[str, int], start: datetime, end: datetime
) -> Any:
    if name == "views":
        return t["impressions"]
    if name == "impressions":
        return t["impressions"]
    if name == "reach":
        return int(t["reach"] * 0.8)
    if name == "accounts_engaged":
        return int((t["likes"] + t["comments"] + t["shares"] + t["saves"]) * 0.7)
    if name == "total_interactions":
        return t["likes"] + t["comments"] + t["shares"] + t["saves"]
    if name in ("likes", "comments", "shares", "saves"):
        return t[name]
    if name == "replies":
        return 0
    if name == "profile_views":
        return t["profile_visits"] * 2
    if name in ("profile_links_taps", "website_clicks"):
        return t["profile_visits"] // 3
    if name == "follower_count":
        return _follows_gained(profile, start, end)
    if name == "follows_and_unfollows":
        return _follows_gained(profile, start, end) + 2 * _unfollows(profile, start, end)
    raise AssertionError(name)


def ig_account_insights(call: Call, node: Node, metric_param: str | None) -> dict[str, Any]:
    names = _metric_names(metric_param)
    if not names:
        raise errors.invalid_parameter("The parameter metric is required")
    period = call.param("period")
    if not period:
        raise errors.invalid_parameter("The parameter period is required")
    if period not in ("day", "lifetime"):
        raise errors.invalid_parameter(
            "Param period must be one of {day, lifetime} for the metrics requested"
        )
    metric_type = call.param("metric_type") or "time_series"
    for index, name in enumerate(names):
        if name == "impressions" and common.version_number(call.version) >= 22:
            raise errors.invalid_parameter(
                "Starting from version 22 and above, the impressions metric is no longer "
                "supported for the queried user. Please refer to the documentation at "
                "https://developers.facebook.com/docs/instagram-api/reference/ig-user/insights "
                "for a list of supported metrics."
            )
        if name not in IG_ACCOUNT_TOTALS and name != "impressions":
            raise errors.invalid_parameter(
                f"metric[{index}] must be one of the following values: "
                f"{', '.join(IG_ACCOUNT_TOTALS)}"
            )
    if metric_type == "time_series":
        totals_only = [n for n in names if n not in IG_ACCOUNT_TIME_SERIES]
        if totals_only:
            raise errors.invalid_parameter(
                f"The following metrics ({', '.join(totals_only)}) should be specified with "
                "parameter metric_type=total_value"
            )
    account: MetaIgAccount = node.row
    profile = common.profile_of_ig(call.ctx, account.id)
    media = call.session.scalars(select(MetaIgMedia).where(MetaIgMedia.ig_user_id == account.id))
    items = [_Item(profile, m.audience_key, ig_features(m)) for m in media]
    first, last = _window(call)
    data: list[dict[str, Any]] = []
    for name in names:
        title, description = IG_ACCOUNT_TOTALS.get(name, ("Impressions", "Total impressions."))
        entry: dict[str, Any] = {
            "name": name,
            "period": period,
            "title": title,
            "description": description,
        }
        if metric_type == "total_value":
            start = first - timedelta(days=1)
            totals = _totals(call, items, start, last)
            entry["total_value"] = {"value": _ig_value(name, profile, totals, start, last)}
        else:
            values = []
            end = first
            while end <= last:
                start = end - timedelta(days=1)
                totals = _totals(call, items, start, end)
                values.append(
                    {
                        "value": _ig_value(name, profile, totals, start, end),
                        "end_time": common.graph_time(end),
                    }
                )
                end += timedelta(days=1)
            entry["values"] = values
        entry["id"] = f"{account.id}/insights/{name}/{period}"
        data.append(entry)
    out: dict[str, Any] = {"data": data}
    if first <= last:
        out["paging"] = _paging_links(call, first, last)
    return out
