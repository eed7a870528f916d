"""A post's and an Instagram media's numbers from the audience model; nodes render them as
fields and insights sum them into Page and account series."""

from __future__ import annotations

from datetime import datetime

from platform_sandbox import audience
from platform_sandbox.meta import common
from platform_sandbox.meta.models import MetaIgMedia, MetaPost
from platform_sandbox.platform import SandboxContext

ZERO = audience.PostMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0)


def post_features(post: MetaPost) -> audience.PostFeatures:
    return audience.PostFeatures(
        text_length=post.text_length,
        posted_at=post.publish_at,
        media_count=post.media_count,
        has_video=post.has_video,
        hashtag_count=post.hashtag_count,
    )


def post_is_live(post: MetaPost, now: datetime) -> bool:
    return post.published and post.publish_at <= now


def fb_metrics(ctx: SandboxContext, post: MetaPost, now: datetime) -> audience.PostMetrics:
    if not post_is_live(post, now):
        return ZERO
    profile = common.profile_of_page(ctx, post.page_id)
    return audience.post_metrics(ctx.seed, profile, post.audience_key, post_features(post), now)


def ig_features(media: MetaIgMedia) -> audience.PostFeatures:
    return audience.PostFeatures(
        text_length=media.text_length,
        posted_at=media.timestamp,
        media_count=media.media_count,
        has_video=media.has_video,
        hashtag_count=media.hashtag_count,
    )


def ig_metrics(ctx: SandboxContext, media: MetaIgMedia, now: datetime) -> audience.PostMetrics:
    if media.timestamp > now:
        return ZERO
    profile = common.profile_of_ig(ctx, media.ig_user_id)
    return audience.post_metrics(ctx.seed, profile, media.audience_key, ig_features(media), now)


# Shares of all reactions by type; LIKE takes the remainder so the parts add up exactly.
REACTION_SHARES = (("LOVE", 0.17), ("HAHA", 0.04), ("WOW", 0.04), ("SAD", 0.02), ("ANGRY", 0.01))


def reactions_by_type(total: int) -> dict[str, int]:
    parts = {kind: int(total * share) for kind, share in REACTION_SHARES}
    return {"LIKE": total - sum(parts.values()), **parts}
