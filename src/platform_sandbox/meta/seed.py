"""Seeded Meta world: two people, the Pages they run, one linked Instagram business account,
and 90 days of past posts and media laid out backwards from the sandbox clock's now."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.apps import DEFAULT_CLIENT_IDS, ensure_default_app, register_app
from platform_sandbox.meta import common
from platform_sandbox.meta.models import (
    MetaIgAccount,
    MetaIgMedia,
    MetaIgPersonal,
    MetaPage,
    MetaPageRole,
    MetaPhoto,
    MetaPost,
    MetaUser,
)
from platform_sandbox.platform import NewAccounts, NewCompetitor, SandboxContext

DEMO_APP_ID = DEFAULT_CLIENT_IDS["meta"]
# Growth Manager connects Facebook Pages and Instagram through the same Meta app, with one
# callback per platform, on both loopback spellings.
CALLBACKS = [
    f"{host}/api/v1/oauth/{platform}/callback"
    for host in ("http://127.0.0.1:8000", "http://localhost:8000")
    for platform in ("facebook", "instagram")
]

USERS = (
    ("10229000000000001", "Dana Whitfield", "dana.whitfield@example.com"),
    ("10229000000000002", "Marco Bianchi", "marco.bianchi@example.com"),
)
ALL_TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]

# (id, name, username, category, category id, about, website, instagram id or None)
PAGES = (
    (
        "108820000000001",
        "Harbor Lane Florist",
        "harborlaneflorist",
        "Florist",
        "169207329791658",
        "Seasonal bouquets, wedding flowers and workshops by the harbour.",
        "https://harborlaneflorist.example",
        "17841400000000101",
    ),
    (
        "108820000000002",
        "Harbor Lane Workshops",
        "harborlaneworkshops",
        "Education",
        "2250",
        "Weekend flower-arranging classes for beginners.",
        "https://harborlaneflorist.example/workshops",
        None,
    ),
    (
        "108820000000003",
        "Bianchi Bike Repair",
        "bianchibikerepair",
        "Bicycle Repair Shop",
        "150534008338515",
        "Fast, friendly bike repairs and servicing.",
        "https://bianchibikes.example",
        None,
    ),
)
# (user id, page id)
ROLES = (
    ("10229000000000001", "108820000000001"),
    ("10229000000000001", "108820000000002"),
    ("10229000000000002", "108820000000003"),
)
# (id, legacy ig_id, username, name, biography, website, page id)
IG_ACCOUNTS = (
    (
        "17841400000000101",
        "5210000101",
        "harborlaneflorist",
        "Harbor Lane Florist",
        "Flowers for every season 🌷 Workshops every Saturday.",
        "https://harborlaneflorist.example",
        "108820000000001",
    ),
)


def seed(session: Session, ctx: SandboxContext) -> None:
    ensure_default_app(session, common.PLATFORM_NAME)
    register_app(session, common.PLATFORM_NAME, DEMO_APP_ID, redirect_uris=CALLBACKS)
    if session.scalar(select(func.count()).select_from(MetaUser)):
        return
    for user_id, name, email in USERS:
        session.add(MetaUser(id=user_id, name=name, email=email))
    for page_id, name, username, category, category_id, about, website, ig_id in PAGES:
        session.add(
            MetaPage(
                id=page_id,
                name=name,
                username=username,
                category=category,
                category_id=category_id,
                about=about,
                website=website,
                instagram_id=ig_id,
            )
        )
    for user_id, page_id in ROLES:
        session.add(MetaPageRole(user_id=user_id, page_id=page_id, tasks=list(ALL_TASKS)))
    for ig_id, legacy, username, name, bio, website, page_id in IG_ACCOUNTS:
        session.add(
            MetaIgAccount(
                id=ig_id,
                ig_id=legacy,
                username=username,
                name=name,
                biography=bio,
                website=website,
                page_id=page_id,
            )
        )
    session.flush()
    now = ctx.clock.now()
    for page_id, name, *_rest in PAGES:
        profile = common.profile_of_page(ctx, page_id)
        for past in audience.history(ctx.seed, profile, name, now):
            _page_post(session, page_id, past)
    for ig_id, _legacy, _username, name, *_rest in IG_ACCOUNTS:
        profile = common.profile_of_ig(ctx, ig_id)
        for past in audience.history(ctx.seed, profile, name, now):
            _ig_media(session, ig_id, past)
    session.flush()


def _page_post(session: Session, page_id: str, past: audience.HistoricalPost) -> None:
    features = past.features
    object_id = common.new_object_id(session)
    post_id = f"{page_id}_{object_id}"
    photo_ids: list[str] = []
    status_type = "mobile_status_update"
    if features.has_video:
        status_type = "added_video"
    elif features.media_count:
        status_type = "added_photos"
        session.add(
            MetaPhoto(
                id=object_id,
                page_id=page_id,
                caption=past.text,
                published=True,
                url=f"https://scontent.xx.fbcdn.net/v/t39.30808-6/{object_id}_n.jpg",
                post_id=post_id,
                created_at=past.posted_at,
            )
        )
        photo_ids = [object_id]
    session.add(
        MetaPost(
            id=post_id,
            page_id=page_id,
            message=past.text,
            link=None,
            status_type=status_type,
            photo_ids=photo_ids,
            created_at=past.posted_at,
            publish_at=past.posted_at,
            published=True,
            audience_key=past.post_key,
            text_length=features.text_length,
            media_count=features.media_count,
            has_video=features.has_video,
            hashtag_count=features.hashtag_count,
        )
    )


def _ig_media(session: Session, ig_id: str, past: audience.HistoricalPost) -> None:
    features = past.features
    media_id = common.new_ig_media_id(session)
    video = features.has_video
    extension = "mp4" if video else "jpg"
    session.add(
        MetaIgMedia(
            id=media_id,
            ig_user_id=ig_id,
            media_type="VIDEO" if video else "IMAGE",
            media_product_type="REELS" if video else "FEED",
            caption=past.text,
            media_url=f"https://scontent.cdninstagram.com/v/t51.29350-15/{media_id}_n.{extension}",
            shortcode=f"C{int(media_id) % 10**10:010d}",
            timestamp=past.posted_at,
            children=[],
            parent_id=None,
            via_api=False,
            audience_key=past.post_key,
            text_length=features.text_length,
            # Every Instagram post carries media, whatever the shared history drew.
            media_count=max(1, features.media_count),
            has_video=video,
            hashtag_count=features.hashtag_count,
        )
    )


def accounts(session: Session, ctx: SandboxContext) -> list[dict[str, Any]]:
    """Ground truth: people, Pages and Instagram accounts with their hidden audience profiles."""
    now = ctx.clock.now()
    out: list[dict[str, Any]] = []
    for user in session.scalars(select(MetaUser).order_by(MetaUser.id)):
        roles = session.scalars(select(MetaPageRole).where(MetaPageRole.user_id == user.id))
        out.append(
            {
                "kind": "user",
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "administers": sorted(r.page_id for r in roles),
            }
        )
    for page in session.scalars(select(MetaPage).order_by(MetaPage.id)):
        profile = common.profile_of_page(ctx, page.id)
        out.append(
            {
                "kind": "page",
                "id": page.id,
                "name": page.name,
                "username": page.username,
                "instagram_business_account": page.instagram_id,
                "followers": audience.followers_at(profile, now),
                "best_weekday": profile.best_weekday,
                "best_hour": profile.best_hour,
                "profile": profile.as_dict(),
            }
        )
    for account in session.scalars(select(MetaIgAccount).order_by(MetaIgAccount.id)):
        profile = common.profile_of_ig(ctx, account.id)
        out.append(
            {
                "kind": "instagram_business",
                "id": account.id,
                "username": account.username,
                "name": account.name,
                "page_id": account.page_id,
                "followers": audience.followers_at(profile, now),
                "best_weekday": profile.best_weekday,
                "best_hour": profile.best_hour,
                "profile": profile.as_dict(),
            }
        )
    return out


# Pages and Instagram accounts added through the control plane get ids from here on.
NEW_PAGE_BASE = 108900000000000
NEW_IG_BASE = 17841410000000000


def create_accounts(
    session: Session, ctx: SandboxContext, spec: NewAccounts
) -> list[dict[str, Any]]:
    """``spec.count`` more Pages on which the person ``spec.owner`` (the first seeded one by
    default) has every task, each with ``spec.posts`` past posts and, with ``spec.instagram``,
    a linked Instagram business account with as many past media."""
    owner = spec.owner or USERS[0][0]
    if session.get(MetaUser, owner) is None:
        raise ValueError(f"no Meta user {owner!r}")
    now = ctx.clock.now()
    made = (
        session.scalar(
            select(func.count())
            .select_from(MetaPage)
            .where(MetaPage.id.like(f"{NEW_PAGE_BASE // 10**6}%"))
        )
        or 0
    )
    out: list[dict[str, Any]] = []
    for n in range(made + 1, made + 1 + spec.count):
        page_id = str(NEW_PAGE_BASE + n)
        ig_id = str(NEW_IG_BASE + n) if spec.instagram else None
        name = f"{spec.name} {n}"
        session.add(
            MetaPage(
                id=page_id,
                name=name,
                username=f"page{page_id}",
                category="Local Business",
                category_id="2500",
                about=f"{name}, a Page made through the sandbox's control plane.",
                website=f"https://page-{page_id}.example",
                instagram_id=ig_id,
            )
        )
        session.add(MetaPageRole(user_id=owner, page_id=page_id, tasks=list(ALL_TASKS)))
        if ig_id is not None:
            session.add(
                MetaIgAccount(
                    id=ig_id,
                    ig_id=str(5220000000 + n),
                    username=f"ig{page_id}",
                    name=name,
                    biography=f"{name} on Instagram.",
                    website=f"https://page-{page_id}.example",
                    page_id=page_id,
                )
            )
        session.flush()
        page_posts = audience.history(
            ctx.seed, common.profile_of_page(ctx, page_id), name, now, spec.days, spec.posts
        )
        for past in page_posts:
            _page_post(session, page_id, past)
        made_page: dict[str, Any] = {
            "platform": common.PLATFORM_NAME,
            "kind": "page",
            "id": page_id,
            "name": name,
            "administrator": owner,
            "posts": len(page_posts),
            "instagram_business_account": None,
        }
        if ig_id is not None:
            media = audience.history(
                ctx.seed, common.profile_of_ig(ctx, ig_id), name, now, spec.days, spec.posts
            )
            for past in media:
                _ig_media(session, ig_id, past)
            made_page["instagram_business_account"] = {
                "id": ig_id,
                "username": f"ig{page_id}",
                "posts": len(media),
            }
        out.append(made_page)
    session.flush()
    return out


# Competitors' Pages and Instagram accounts: ids derive from the username above these bases.
COMPETITOR_PAGE_BASE = 108800000000000
COMPETITOR_IG_BASE = 17841420000000000
COMPETITOR_KINDS = ("business", "personal")


def create_competitor(session: Session, ctx: SandboxContext, spec: NewCompetitor) -> dict[str, Any]:
    """Someone else's Instagram account: a business account (linked to a Page nobody in the
    sandbox administers) with ``spec.posts`` past media, or a personal account."""
    wanted = spec.username.lower()
    taken = session.scalars(
        select(MetaIgAccount.id).where(func.lower(MetaIgAccount.username) == wanted)
    ).first() or session.get(MetaIgPersonal, wanted)
    if taken is not None:
        raise ValueError(f"the username {spec.username!r} is taken")
    if spec.kind == "personal":
        session.add(MetaIgPersonal(username=wanted, name=spec.name))
        session.flush()
        return {"platform": common.PLATFORM_NAME, "kind": "personal", "username": wanted}
    digest = int.from_bytes(hashlib.sha256(wanted.encode()).digest()[:5]) % 10**9
    page_id = str(COMPETITOR_PAGE_BASE + digest)
    ig_id = str(COMPETITOR_IG_BASE + digest)
    session.add(
        MetaPage(
            id=page_id,
            name=spec.name,
            username=f"page{page_id}",
            category="Local Business",
            category_id="2500",
            about=f"{spec.name}, a competitor made through the sandbox's control plane.",
            website=f"https://{wanted}.example",
            instagram_id=ig_id,
        )
    )
    session.add(
        MetaIgAccount(
            id=ig_id,
            ig_id=str(5230000000 + digest % 10**8),
            username=wanted,
            name=spec.name,
            biography=f"{spec.name} on Instagram.",
            website=f"https://{wanted}.example",
            page_id=page_id,
        )
    )
    session.flush()
    media = audience.history(
        ctx.seed,
        common.profile_of_ig(ctx, ig_id),
        spec.name,
        ctx.clock.now(),
        spec.days,
        spec.posts,
    )
    for past in media:
        _ig_media(session, ig_id, past)
    session.flush()
    return {
        "platform": common.PLATFORM_NAME,
        "kind": "business",
        "id": ig_id,
        "username": wanted,
        "name": spec.name,
        "page_id": page_id,
        "posts": len(media),
    }
