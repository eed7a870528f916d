"""What X allows and needs (platform-apis.md §A)."""

from __future__ import annotations

from datetime import timedelta

from growth_manager.providers.base import AppSettings, CompetitorSupport, Descriptor, KindFacts
from growth_manager.providers.x.text import count_x_weighted

DESCRIPTOR = Descriptor(
    platform="x",
    display_name="X",
    aliases=("twitter",),
    text_limit=280,
    counting="weighted: links count 23, emoji and CJK characters 2",
    media_kinds=("image", "gif", "video"),
    max_images=4,
    max_videos=1,
    supports_threads=True,
    supports_first_comment=True,
    uses_pkce=True,
    # POST /2/tweets needs tweet.read tweet.write users.read; GET /2/users/me (identity and
    # metrics) tweet.read users.read (reference A.2). media.write is only for uploads: asked
    # for, but an account without it still publishes text, so it is not required.
    kinds={
        "user": KindFacts(
            label="X account",
            publish=("tweet.read", "tweet.write", "users.read"),
            analytics=("tweet.read", "users.read"),
        )
    },
    identity_scopes=("users.read", "offline.access"),
    extra_scopes=("media.write",),
    app=AppSettings(
        credentials=("x_client_id", "x_client_secret"),
        api_base="x_api_base",
        auth_base="x_auth_base",
        sandbox_client=("sandbox-x-client", "sandbox-x-secret"),
    ),
    refresh_margin=timedelta(minutes=20),  # 2-hour tokens; the sweep runs every 5 minutes
    count_text=count_x_weighted,
    counting_note="X counts links as 23 and emoji as 2",
    single_identity=True,
    rotates_refresh_tokens=True,
    access_lifetime="2 hours",
    refresh_behaviour="rotating, single-use refresh tokens (needs offline.access)",
    # x-user-limit-24hour / x-app-limit-24hour come with posting; x-rate-limit-* is per
    # endpoint, per 15-minute window (reference A.7).
    # GET /2/tweets?ids= reads 1–100 posts with their metrics in one request (reference A.3).
    metrics_batch=100,
    metrics_endpoint="GET /2/tweets",
    comments_endpoint="GET /2/tweets/search/recent",
    # Replies are found by searching the conversation; recent search covers the last 7 days.
    comments_window=timedelta(days=7),
    # X keeps no history of followers: it builds up from the values each sync reads.
    keeps_account_history=False,
    # Any public account: GET /2/users/by/username/{username} with public_metrics, then its
    # timeline's public numbers (reference A.3). Usernames: 1–15 letters, digits, underscores.
    competitors=CompetitorSupport(
        supported=True,
        reason="Public accounts' followers and their recent posts' public numbers, read "
        "with your connected X account.",
        handle_pattern=r"[A-Za-z0-9_]{1,15}",
        handle_hint="an X username: 1 to 15 letters, digits or underscores, e.g. @cornerbakery",
        metrics=("likes", "comments", "reposts", "quotes", "bookmarks"),
        endpoints=("GET /2/users/by/username/*", "GET /2/users/*/tweets"),
    ),
    budget_purposes=(
        ("user-24h", "*", "Posts by this account today"),
        ("app-24h", "*", "Posts by the whole app today"),
        ("*", "GET /2/users/me", "Profile reads"),
        ("*", "POST /2/tweets", "Posts"),
        ("*", "DELETE /2/tweets/*", "Post deletions"),
        ("*", "GET /2/tweets*", "Post reads and metrics"),
        ("*", "GET /2/users/*/tweets", "Timeline reads"),
        ("*", "* /2/media/upload*", "Media uploads"),
        ("*", "* /2/oauth2/*", "Sign-in and token renewal"),
    ),
)
