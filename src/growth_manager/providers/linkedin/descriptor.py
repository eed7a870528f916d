"""What LinkedIn allows and needs (platform-apis.md §B)."""

from __future__ import annotations

from datetime import timedelta

from growth_manager.providers.base import AppSettings, CompetitorSupport, Descriptor, KindFacts
from growth_manager.providers.linkedin.analytics import METRICS_BATCH, METRICS_ENDPOINT
from growth_manager.providers.linkedin.versions import sunset_warning

DESCRIPTOR = Descriptor(
    platform="linkedin",
    display_name="LinkedIn",
    text_limit=3000,
    counting="characters",
    media_kinds=("image", "video"),
    max_images=10,
    max_videos=1,
    supports_threads=False,
    supports_first_comment=True,
    uses_pkce=False,
    # Members post with w_member_social and read their post analytics with
    # r_member_postAnalytics; organization posts need w_organization_social, and their
    # statistics r_organization_social and rw_organization_admin (reference B.1, B.6).
    kinds={
        "member": KindFacts(
            label="LinkedIn member",
            choose_label="LinkedIn member (you)",
            publish=("w_member_social",),
            analytics=("r_member_postAnalytics",),
        ),
        "organization": KindFacts(
            label="LinkedIn page",
            choose_label="LinkedIn page you administer",
            publish=("w_organization_social",),
            analytics=("r_organization_social", "rw_organization_admin"),
        ),
    },
    identity_scopes=("openid", "profile", "email"),
    app=AppSettings(
        credentials=("linkedin_client_id", "linkedin_client_secret"),
        api_base="linkedin_api_base",
        auth_base="linkedin_auth_base",
        api_version="linkedin_version",
        sandbox_client=("sandbox-linkedin-client", "sandbox-linkedin-secret"),
    ),
    refresh_margin=timedelta(days=7),  # 60-day tokens
    version_warning=sunset_warning,
    access_lifetime="60 days",
    refresh_behaviour="non-rotating refresh token, 365 days from the first login",
    # LinkedIn sends no rate-limit headers (its limits are daily, per app and member, and only
    # visible in the developer portal), so no budget is ever recorded; the names are here for
    # when a 429 is.
    budget_purposes=(
        ("*", "* /rest/posts*", "Posts"),
        ("*", "GET /rest/organizationalEntity*Statistics", "Page statistics"),
        ("*", "GET /rest/networkSizes/*", "Page follower counts"),
        ("*", "GET /rest/memberCreatorPostAnalytics", "Member post statistics"),
        ("*", "* /v2/userinfo", "Profile reads"),
        ("*", "* /oauth/v2/*", "Sign-in and token renewal"),
    ),
    # Page post statistics: one organizationalEntityShareStatistics read names up to this many
    # posts (member posts cost one memberCreatorPostAnalytics call per post and metric).
    metrics_batch=METRICS_BATCH,
    metrics_endpoint=METRICS_ENDPOINT,
    # Follower and post statistics are readable only for organizations the member
    # administers (r_organization_social, rw_organization_admin); LinkedIn offers this app
    # type no read of another organization's followers or posts (reference B.6).
    competitors=CompetitorSupport(
        supported=False,
        reason="LinkedIn only shows an app the followers and post numbers of pages you "
        "administer; it offers no read of other organizations' pages to this kind of app.",
    ),
    comments_endpoint="GET /rest/socialActions/*/comments",
    metrics_batch_by_kind={"member": 1},
)
