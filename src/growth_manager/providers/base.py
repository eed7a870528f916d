"""The provider protocol and the plain data it speaks.

A provider is constructed with its credentials and base URLs (:class:`ProviderConfig`), keeps
no state between calls, and never touches the database or settings, sleeps or retries. Every
failure it raises is one of :mod:`growth_manager.providers.errors`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from growth_manager.providers.text import count_code_points

# A platform's key ("x", "linkedin", …): whatever its folder registers (see ``registry``).
PlatformKey = str
# What an identity is on its platform ("user", "member", "organization", "page", …).
AccountKind = str


@dataclass(frozen=True)
class ProviderConfig:
    """Credentials and endpoints. Base URLs are the real hosts, or the sandbox's prefixes."""

    client_id: str
    client_secret: str
    redirect_uri: str
    api_base: str  # https://api.x.com | https://api.linkedin.com | https://graph.facebook.com
    auth_base: str  # https://x.com | https://www.linkedin.com | https://www.facebook.com
    api_version: str = ""  # LinkedIn-Version (YYYYMM) or Graph version (v23.0)
    upload_base: str = ""  # where media uploads go, when it differs from api_base
    timeout_seconds: float = 20.0
    is_sandbox: bool = False


@dataclass(frozen=True)
class KindFacts:
    """One kind of account on a platform: what people call it, and the scopes it needs (without
    ``publish`` it can't post at all; without ``analytics`` it posts but its numbers can't be
    read)."""

    label: str  # "LinkedIn page"
    publish: tuple[str, ...]
    analytics: tuple[str, ...] = ()
    choose_label: str = ""  # on the page where a login's identities are picked, if different


@dataclass(frozen=True)
class AppSettings:
    """Where the operator configures the platform's app: names of :class:`Settings` fields
    (read by ``tokens/platforms.py``; providers never read settings), and the sandbox's demo
    app used when none is configured."""

    credentials: tuple[str, str]  # (client id, client secret)
    api_base: str
    auth_base: str
    api_version: str | None = None
    sandbox_client: tuple[str, str] = ("", "")

    @property
    def env_names(self) -> str:
        """The environment variables that configure the app, for "set …" messages."""
        client_id, client_secret = self.credentials
        return f"GROWTH_{client_id.upper()} and GROWTH_{client_secret.upper()}"


@dataclass(frozen=True)
class CompetitorSupport:
    """Whether the platform lets this app read someone else's account (a competitor): its
    followers and its recent posts' public numbers. ``reason`` says why not, or what is read
    and how; ``handle_pattern`` (a full-match regex) and ``handle_hint`` what a valid handle
    looks like; ``metrics`` the post metrics (of :data:`METRICS`) the read reports, the ones
    an honest comparison counts on both sides; ``endpoints`` the budgets (``"METHOD /path"``
    globs) the read spends."""

    supported: bool
    reason: str
    handle_pattern: str = ""
    handle_hint: str = ""
    metrics: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()


NO_COMPETITORS = CompetitorSupport(False, "This platform offers no read of other accounts.")


@dataclass(frozen=True)
class Descriptor:
    """Everything the rest of the product may know about a platform: limits, media rules,
    scopes per account kind, token behaviour and how its login is shared. Code outside the
    platform's folder asks this instead of testing the platform's name."""

    platform: PlatformKey
    display_name: str
    text_limit: int
    counting: str  # human description of the counting rule
    media_kinds: tuple[str, ...]
    max_images: int
    max_videos: int
    supports_threads: bool
    supports_first_comment: bool
    uses_pkce: bool
    # The scopes each account kind needs (the one table: connect, health and the API use it).
    kinds: Mapping[AccountKind, KindFacts]
    app: AppSettings
    identity_scopes: tuple[str, ...] = ()
    # Asked for at consent but not required to publish (e.g. X's media.write, for media only).
    extra_scopes: tuple[str, ...] = ()
    scope_separator: str = " "
    # Refresh this long before the access token expires.
    refresh_margin: timedelta = timedelta(days=1)
    # Accounts whose tokens may be one and the same (a Page and its Instagram account share
    # the page token); revoking for one must not cut the others.
    family_name: str = ""
    # Other names people and older APIs use for the platform ("twitter").
    aliases: tuple[str, ...] = ()
    # The platform whose login (and OAuth callback) connects this one; "" is its own.
    login_via: PlatformKey = ""
    # What a login of this platform lists, for "this login has no …" messages.
    identities_noun: str = "accounts"
    # One identity per login: a usable one is connected at once, without a choice page.
    single_identity: bool = False
    # Refresh tokens are single-use: a refresh whose answer was lost may have spent it.
    rotates_refresh_tokens: bool = False
    access_lifetime: str = ""
    refresh_behaviour: str = ""
    max_hashtags: int | None = None
    # How the platform counts a post's length against ``text_limit``, and what to tell people
    # about it when a text is too long (when it is not plain characters).
    count_text: Callable[[str], int] = field(default=count_code_points, repr=False)
    counting_note: str | None = None
    # The configured API version (``app.api_version``'s value) and today → a warning when
    # that version is near or past its sunset, else None.
    version_warning: Callable[[str, date], str | None] | None = field(default=None, repr=False)
    # One post may mix images and videos (a carousel); a post without media can't publish.
    mixes_media: bool = False
    requires_media: bool = False
    # What each rate-limit budget is for, in words: (scope, "METHOD /path" glob, words), first
    # match wins. The platform's rate-limit headers name raw API paths; people need the purpose.
    budget_purposes: tuple[tuple[str, str, str], ...] = ()
    # Analytics: the most posts one ``post_metrics`` call reads (one HTTP request where the
    # platform allows it), and the budget (``"METHOD /path"`` glob) that read spends.
    metrics_batch: int = 1
    metrics_endpoint: str = ""
    # The budget (``"METHOD /path"`` glob) a ``post_comments`` read spends, and how many posts
    # one read takes (1 where the platform answers one post's comments per request).
    comments_endpoint: str = ""
    comments_batch: int = 1
    # How far back the comment read reaches (None: any post). X's recent search covers the last
    # seven days, so reading an older post's replies would cost a request and find nothing.
    comments_window: timedelta | None = None
    # Account kinds whose reads cost more per post (LinkedIn members: a request per post and
    # metric) read in smaller batches, so a rate limit mid-batch loses little.
    metrics_batch_by_kind: Mapping[AccountKind, int] = field(default_factory=dict)
    # The platform keeps a daily history of an account's numbers (followers per day) that the
    # first sync reads back; without one (X) history builds up from the values each sync reads.
    keeps_account_history: bool = True
    # Reading competitors' public accounts (see CompetitorSupport).
    competitors: CompetitorSupport = NO_COMPETITORS

    def metrics_batch_for(self, kind: AccountKind) -> int:
        return max(1, self.metrics_batch_by_kind.get(kind, self.metrics_batch))

    def budget_purpose(self, scope: str, endpoint: str) -> str:
        """Plain words for the budget ``scope`` reported on ``endpoint`` ("GET /2/users/me")."""
        for wanted_scope, pattern, words in self.budget_purposes:
            if wanted_scope in (scope, "*") and fnmatch.fnmatchcase(endpoint, pattern):
                return words
        return f"Other {self.display_name} calls"

    @property
    def login_platform(self) -> PlatformKey:
        """The platform whose consent and callback serve this one."""
        return self.login_via or self.platform

    @property
    def family(self) -> str:
        return self.family_name or self.platform

    @property
    def publish_scopes(self) -> tuple[str, ...]:
        return _unique(scope for scopes in self.kinds.values() for scope in scopes.publish)

    @property
    def analytics_scopes(self) -> tuple[str, ...]:
        return _unique(scope for scopes in self.kinds.values() for scope in scopes.analytics)

    @property
    def requested_scopes(self) -> tuple[str, ...]:
        return _unique(
            (
                *self.identity_scopes,
                *self.publish_scopes,
                *self.analytics_scopes,
                *self.extra_scopes,
            )
        )

    def kind_label(self, kind: AccountKind, *, choosing: bool = False) -> str:
        """What people call an account of ``kind`` here ("LinkedIn page")."""
        facts = self.kinds.get(kind)
        if facts is None:
            return f"{self.display_name} {kind.replace('_', ' ')}"
        return (facts.choose_label if choosing else "") or facts.label

    def missing_publish_scopes(self, kind: AccountKind, granted: Iterable[str]) -> list[str]:
        """Scopes ``kind`` needs to publish that ``granted`` lacks (none for a kind the
        platform does not list)."""
        have = set(granted)
        wanted = self.kinds.get(kind)
        return [s for s in (wanted.publish if wanted else ()) if s not in have]

    def missing_analytics_scopes(self, kind: AccountKind, granted: Iterable[str]) -> list[str]:
        have = set(granted)
        wanted = self.kinds.get(kind)
        return [s for s in (wanted.analytics if wanted else ()) if s not in have]


def _unique(scopes: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(scopes))


@dataclass(frozen=True)
class AuthStart:
    url: str
    state: str
    code_verifier: str | None


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None  # None: does not expire (Meta page tokens)
    refresh_expires_at: datetime | None
    scopes: tuple[str, ...]
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret

    def __repr__(self) -> str:  # never print a token, even in a traceback
        refresh = "yes" if self.refresh_token else "no"
        return (
            f"TokenSet(expires_at={self.expires_at!r}, refresh={refresh}, scopes={self.scopes!r})"
        )


@dataclass(frozen=True)
class AccountProfile:
    """One publishable identity found behind a login (a user, a Page, an organization…)."""

    platform: PlatformKey
    kind: AccountKind
    external_id: str
    name: str
    username: str | None = None
    avatar_url: str | None = None
    followers: int | None = None
    # Page/IG accounts carry their own token (Meta page tokens never expire).
    token: TokenSet | None = None
    parent_external_id: str | None = None  # the Page an IG account is linked to
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Connection:
    """What a completed login yields: the tokens and every identity the user can connect."""

    token: TokenSet
    accounts: list[AccountProfile]
    granted_scopes: tuple[str, ...]


@dataclass(frozen=True)
class MediaItem:
    """One image or video of a post, as a provider needs it: the bytes on disk for platforms
    that take uploads (X, LinkedIn), and a signed public URL for platforms that fetch media
    themselves (Instagram containers, Facebook photos by ``url``)."""

    key: str  # stable across attempts (the media asset's id): names the upload's progress step
    kind: str  # "image" | "video"
    mime: str
    size_bytes: int
    path: str  # absolute path of the file
    url: str  # signed, expiring URL under GROWTH_PUBLIC_URL that the platform can fetch
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None
    filename: str = ""


@dataclass(frozen=True)
class PublishRequest:
    """What to publish to one account. ``parts`` holds one text, or an X thread's parts in
    order; ``media`` goes with the first part; ``first_comment`` is posted under the post."""

    account_external_id: str
    account_kind: AccountKind
    parts: tuple[str, ...]
    media: tuple[MediaItem, ...] = ()
    first_comment: str | None = None
    link: str | None = None
    reel: bool = False  # Instagram: publish the video as a reel
    # The Page an Instagram account is linked to, or the owner of the account, if any.
    parent_external_id: str | None = None

    @property
    def text(self) -> str:
        return self.parts[0] if self.parts else ""


# Steps already completed on the platform, by step name → the platform's id for it, e.g.
# ``{"media:12": "1880028106020515840", "part:0": "1460323737035677698", "container": "…"}``.
# Step names are the provider's own; the publishing engine stores them and hands them back.
Progress = Mapping[str, str]
# Called by a provider as soon as a step completes on the platform, before the next request:
# it returns once the step is stored durably, so a crash after it never repeats the step.
StepRecorder = Callable[[str, str], None]


@dataclass(frozen=True)
class PublishResult:
    remote_id: str  # the post (for a thread, its first part)
    remote_url: str | None
    # Something that went wrong after the post was up and will not be retried (a first comment
    # the platform refused): shown on the target, which still counts as published.
    warnings: tuple[str, ...] = ()


# --- analytics reads ------------------------------------------------------------------------
# The one vocabulary every platform's numbers are normalized to (``MetricValue.metric``). A
# metric a platform does not report for a post is simply absent ("not available"), never 0.
METRICS: dict[str, str] = {
    "likes": "Likes (X likes, LinkedIn likes, Instagram likes)",
    "comments": "Comments and replies",
    "shares": "Shares (LinkedIn reshares, Facebook shares, Instagram shares)",
    "reactions": "Reactions of every kind (Facebook, LinkedIn)",
    "reposts": "Reposts (X retweets)",
    "quotes": "Quote posts (X)",
    "bookmarks": "Bookmarks (X)",
    "saves": "Saves (Instagram saved)",
    "impressions": "Times the post was seen (impressions or views)",
    "reach": "Unique people who saw it",
    "clicks": "Clicks on the post or its links",
    "profile_clicks": "Clicks through to the profile",
    "video_views": "Video views",
    "watch_time": "Video watch time, in seconds",
    "engagements": "Engagements as the platform counts them",
    "followers": "Followers of the account",
    "following": "Accounts the account follows",
    "posts_count": "Posts the account has published",
    "follower_gain": "New followers in the period",
    "page_views": "Views of the profile or page",
}


@dataclass(frozen=True)
class AccountRef:
    """Which account a read is for: what the platform needs to address it."""

    external_id: str
    kind: AccountKind
    parent_external_id: str | None = None


@dataclass(frozen=True)
class MetricValue:
    """One number read from a platform, with where it came from.

    ``metric`` is a key of :data:`METRICS`; ``source_field`` the platform's own name for it
    (``public_metrics.like_count``, ``post_media_view``, ``totalShareStatistics.clickCount``);
    ``api_version`` the API version that answered (X "2", LinkedIn "202601", Graph "v23.0");
    ``at`` the moment the value describes when it is history (a day's follower count), else
    None (the value now)."""

    metric: str
    value: float
    source_field: str
    api_version: str
    at: datetime | None = None


@dataclass(frozen=True)
class RemotePost:
    """A post found on the account (published by the product or not), for import."""

    remote_id: str
    published_at: datetime
    text: str = ""
    remote_url: str | None = None
    media_kind: str | None = None  # "image" | "video" | "carousel" | None (text only)
    # The post's current numbers when the listing carried them (saves a metrics read).
    values: tuple[MetricValue, ...] = ()


@dataclass(frozen=True)
class PostMetricsBatch:
    """The answer to one batched read of post metrics.

    ``values`` maps each remote id read to its numbers; ``missing`` maps ids the platform did
    not answer for (deleted, not visible to this token) to the platform's words; ``calls`` is
    the number of HTTP requests the read made."""

    values: Mapping[str, tuple[MetricValue, ...]]
    missing: Mapping[str, str] = field(default_factory=dict)
    calls: int = 1
    # The account's numbers now (``at`` None), when the same request carried them.
    account_values: tuple[MetricValue, ...] = ()


@dataclass(frozen=True)
class AccountMetrics:
    """An account's numbers now (``at`` None) and, when asked for history, one value per day
    (``at`` set) as far back as the platform keeps it."""

    values: tuple[MetricValue, ...]
    calls: int = 1


@dataclass(frozen=True)
class RecentPosts:
    """The account's posts found by a listing; ``account_values`` are the account's numbers now
    (``at`` None) when the listing's requests carried them (saving a separate account read)."""

    posts: tuple[RemotePost, ...]
    calls: int = 1
    account_values: tuple[MetricValue, ...] = ()


@dataclass(frozen=True)
class CompetitorPost:
    """One recent post of a competitor with its public numbers in the :data:`METRICS`
    vocabulary (``metrics``) and as the platform named them (``raw``)."""

    remote_id: str
    published_at: datetime
    metrics: Mapping[str, float]
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CompetitorProfile:
    """What a read of a competitor's handle found. ``status``: ``ok``; ``not_found`` (no such
    account, or suspended); ``not_business`` (Instagram: no business or creator account by
    that name); ``protected`` (numbers public, posts not). ``message`` is the platform's
    words when it is not ``ok``; ``posts`` the posts since the read's ``since``."""

    status: str
    handle: str
    remote_id: str | None = None
    display_name: str | None = None
    followers: int | None = None
    following: int | None = None
    posts_count: int | None = None
    posts: tuple[CompetitorPost, ...] = ()
    message: str | None = None
    calls: int = 1
    api_version: str = ""


class CompetitorReader(Protocol):
    """A provider whose descriptor's ``competitors.supported`` is true has this read."""

    def competitor_profile(
        self, account: AccountRef, token: TokenSet, handle: str, since: datetime
    ) -> CompetitorProfile:
        """The public account ``handle`` (without ``@``) read with ``account``'s token, and
        its posts published since ``since``."""
        ...


@dataclass(frozen=True)
class FoundComment:
    """A comment or reply under one of the account's posts, as the platform spells it out.

    ``post_remote_id`` is the post it sits under; ``parent_remote_id`` the comment it answers
    (None for a comment on the post itself); ``permalink`` where a person can answer it (the
    comment's own page when the platform gives one, else None: the post's URL serves)."""

    remote_id: str
    post_remote_id: str
    text: str
    created_at: datetime
    parent_remote_id: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    like_count: int | None = None
    permalink: str | None = None


@dataclass(frozen=True)
class PostComments:
    """The comments read for a set of posts; ``missing`` maps posts the platform refused or no
    longer has to its words; ``calls`` is the number of HTTP requests the read made."""

    comments: tuple[FoundComment, ...]
    calls: int = 1
    missing: Mapping[str, str] = field(default_factory=dict)


class SocialProvider(Protocol):
    descriptor: Descriptor
    config: ProviderConfig

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        """Where to send the user to consent."""
        ...

    def complete_login(self, code: str, code_verifier: str | None) -> Connection:
        """Exchange the code and discover the identities the user can connect."""
        ...

    def refresh(self, token: TokenSet) -> TokenSet:
        """A fresh token set. Platforms that rotate refresh tokens return the new one."""
        ...

    def revoke(self, token: TokenSet) -> bool:
        """Revoke at the platform. False when the platform has no revocation."""
        ...

    def verify(self, account_external_id: str, token: TokenSet) -> AccountProfile:
        """A cheap authenticated call proving the token works for this account."""
        ...

    def publish(
        self, request: PublishRequest, token: TokenSet, done: Progress, record: StepRecorder
    ) -> PublishResult:
        """Publish ``request``, skipping every step in ``done`` and calling ``record`` after
        each step that completes. Raises a :mod:`errors` outcome; ``NotReady`` to be called
        again later (the platform is still processing)."""
        ...

    def recover(self, request: PublishRequest, token: TokenSet, done: Progress) -> Progress:
        """After ``OutcomeUnknown`` (or a worker that died mid-step): look on the platform for
        the steps after ``done`` that did happen (the account's recent posts or the post's
        comments, matched by text) and return them as new progress; empty if none did."""
        ...

    def delete(self, request: PublishRequest, token: TokenSet, done: Progress) -> None:
        """Delete a published post (every part of a thread) from the platform. A post that is
        already gone is not an error."""
        ...

    # --- analytics (see AccountRef and MetricValue) ---------------------------------------
    def post_metrics(
        self, account: AccountRef, remote_ids: Sequence[str], token: TokenSet
    ) -> PostMetricsBatch:
        """The current numbers of up to ``descriptor.metrics_batch`` posts of ``account``."""
        ...

    def account_metrics(
        self,
        account: AccountRef,
        token: TokenSet,
        since: datetime | None = None,
        current: bool = True,
    ) -> AccountMetrics:
        """Followers and the account-level insights the platform offers; with ``since``,
        also their daily history from then on, where the platform keeps one. ``current``
        False: the caller has the numbers now already (a listing carried them): only the
        history is asked for and returned (no request at all when there is none to ask)."""
        ...

    def recent_posts(self, account: AccountRef, token: TokenSet, since: datetime) -> RecentPosts:
        """The account's own posts published since ``since``, newest first."""
        ...

    def post_comments(
        self,
        account: AccountRef,
        token: TokenSet,
        remote_post_ids: Sequence[str],
        since: datetime | None = None,
    ) -> PostComments:
        """The comments and replies under ``remote_post_ids`` (posts of ``account``), written
        after ``since`` when given (a platform that cannot filter by time returns them all),
        every page followed."""
        ...
