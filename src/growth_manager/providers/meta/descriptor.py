"""What Facebook Pages and Instagram business accounts allow and need (platform-apis.md §C).

Both are reached through one Facebook Login and one Graph API, and a Page and its Instagram
account share the page token."""

from __future__ import annotations

from datetime import timedelta

from growth_manager.providers.base import AppSettings, CompetitorSupport, Descriptor, KindFacts
from growth_manager.providers.meta.versions import sunset_warning

# Graph reports usage per app (X-App-Usage: every call of every user of the app) and per Page
# or Instagram account (X-Business-Use-Case-Usage), in percent of an hourly allowance.
META_BUDGET_PURPOSES = (
    ("app-usage", "*", "All calls of this app to Meta"),
    ("business-use-case", "*", "Calls about this account"),
    ("*", "* /oauth/access_token", "Sign-in and token renewal"),
    ("*", "* /*/oauth/access_token", "Sign-in and token renewal"),
    ("*", "GET /*/me/accounts", "Page list reads"),
    ("*", "* /*/insights", "Analytics reads"),
    # The multi-id read of post metrics (GET /v23.0/?ids=…) and its batch fallback (§C.6).
    ("*", "GET /v*/", "Analytics reads"),
    ("*", "POST /v*/", "Analytics reads"),
    ("*", "POST /*/media_publish", "Instagram publishing"),
    ("*", "POST /*/media", "Instagram uploads"),
    ("*", "POST /*/feed", "Facebook posts"),
    ("*", "POST /*/photos", "Facebook photo uploads"),
    ("*", "GET /*", "Profile and post reads"),
)
# One Meta app serves Facebook and Instagram.
META_APP = AppSettings(
    credentials=("meta_app_id", "meta_app_secret"),
    api_base="graph_api_base",
    auth_base="facebook_auth_base",
    api_version="graph_api_version",
    sandbox_client=("1000000000000001", "sandbox-meta-secret"),
)
FACEBOOK = Descriptor(
    platform="facebook",
    display_name="Facebook",
    text_limit=63206,
    counting="characters",
    media_kinds=("image", "video"),
    max_images=10,
    max_videos=1,
    supports_threads=False,
    supports_first_comment=True,
    uses_pkce=False,
    # Page posts need pages_manage_posts and pages_read_engagement (reference C.3); Page
    # insights read_insights and pages_read_user_engagement. pages_show_list only lists the
    # Pages at login (identity), so it is not a publishing need of a connected Page.
    kinds={
        "page": KindFacts(
            label="Facebook Page",
            publish=("pages_manage_posts", "pages_read_engagement"),
            analytics=("read_insights", "pages_read_user_engagement"),
        )
    },
    identity_scopes=("pages_show_list",),
    extra_scopes=("pages_manage_engagement",),  # first comments on Page posts
    app=META_APP,
    refresh_margin=timedelta(days=7),
    version_warning=sunset_warning,
    family_name="meta",
    identities_noun="Facebook Pages",
    scope_separator=",",
    access_lifetime="60-day user token; Page tokens do not expire",
    refresh_behaviour="no refresh token: the user signs in again before the 60 days end",
    budget_purposes=META_BUDGET_PURPOSES,
    # 50 ids per multi-id read (GET /{version}/?ids=…, §C.6), insights expanded as a field.
    metrics_batch=50,
    metrics_endpoint="GET /v*/",
    # Another Page's posts and numbers need the Page Public Content Access feature, granted
    # by Meta's app review to few apps; this app does not have it.
    competitors=CompetitorSupport(
        supported=False,
        reason="Facebook only lets apps read other Pages' posts and numbers with Page Public "
        "Content Access, a feature Meta grants through app review; this app does not have it.",
    ),
    comments_endpoint="GET /v*/",
    comments_batch=50,
)
INSTAGRAM = Descriptor(
    platform="instagram",
    display_name="Instagram",
    text_limit=2200,
    counting="characters, at most 30 hashtags",
    media_kinds=("image", "video"),
    max_images=10,
    max_videos=1,
    supports_threads=False,
    supports_first_comment=True,
    uses_pkce=False,
    # Content publishing needs instagram_basic and instagram_content_publish (reference C.4);
    # media insights instagram_manage_insights. The Page list (pages_show_list) is how the
    # account is found at login, not a publishing need.
    kinds={
        "instagram_business": KindFacts(
            label="Instagram business account",
            publish=("instagram_basic", "instagram_content_publish"),
            analytics=("instagram_manage_insights",),
        )
    },
    identity_scopes=("pages_show_list", "instagram_basic"),
    # First comments on Instagram media; business_management lists Pages owned through a
    # Business Manager.
    extra_scopes=("instagram_manage_comments", "business_management"),
    app=META_APP,
    refresh_margin=timedelta(days=7),
    version_warning=sunset_warning,
    family_name="meta",
    # One Facebook Login connects both: Instagram's consent and callback are Facebook's.
    login_via=FACEBOOK.platform,
    identities_noun="Instagram business accounts linked to a Facebook Page",
    scope_separator=",",
    access_lifetime="60-day user token; Page tokens do not expire",
    refresh_behaviour="no refresh token: the user signs in again before the 60 days end",
    max_hashtags=30,
    # A carousel holds up to 10 images and videos; a post without media cannot publish.
    mixes_media=True,
    requires_media=True,
    budget_purposes=META_BUDGET_PURPOSES,
    # 50 ids per multi-id read (GET /{version}/?ids=…, §C.6), insights expanded as a field.
    metrics_batch=50,
    metrics_endpoint="GET /v*/",
    # Business Discovery (GET /{ig-user-id}?fields=business_discovery.username(…){…}) reads
    # another business or creator account through the connected one; personal accounts are
    # not reachable. Usernames: up to 30 letters, digits, periods and underscores.
    competitors=CompetitorSupport(
        supported=True,
        reason="Business and creator accounts' followers and their recent posts' likes and "
        "comments, read through your connected Instagram business account (Business "
        "Discovery). Personal accounts can't be read.",
        handle_pattern=r"[A-Za-z0-9._]{1,30}",
        handle_hint="an Instagram username: up to 30 letters, digits, periods or underscores",
        metrics=("likes", "comments"),
        endpoints=("GET /v*/*",),
    ),
    comments_endpoint="GET /v*/",
    comments_batch=50,
)
# The one Facebook Login asks for what both need, in this order.
LOGIN_SCOPES = tuple(dict.fromkeys((*FACEBOOK.requested_scopes, *INSTAGRAM.requested_scopes)))
