"""Seeded LinkedIn world: members, the organization pages they administer, and past posts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.apps import ensure_default_app
from platform_sandbox.linkedin import common
from platform_sandbox.linkedin.models import LiMember, LiOrganization, LiOrgRole, LiPost
from platform_sandbox.platform import NewAccounts, SandboxContext


@dataclass(frozen=True)
class _MemberSeed:
    id: str
    given_name: str
    family_name: str
    email: str
    vanity_name: str
    headline: str
    locale_language: str = "en"
    locale_country: str = "US"


@dataclass(frozen=True)
class _OrgSeed:
    id: int
    name: str
    vanity_name: str
    website: str
    description: str


MEMBERS = (
    _MemberSeed(
        "mLq7Xw2Tz4",
        "Maya",
        "Lindqvist",
        "maya.lindqvist@example.com",
        "maya-lindqvist",
        "Owner at Juniper & Rye Bakery",
    ),
    _MemberSeed(
        "tOk3Pn8Rb1",
        "Tom",
        "Okafor",
        "tom.okafor@example.com",
        "tom-okafor",
        "Marketing consultant for local businesses",
        "en",
        "GB",
    ),
)

ORGANIZATIONS = (
    _OrgSeed(
        90312417,
        "Juniper & Rye Bakery",
        "juniper-and-rye",
        "https://juniper-and-rye.example.com",
        "Neighbourhood sourdough bakery and café.",
    ),
    _OrgSeed(
        90312418,
        "Northwind Coffee Roasters",
        "northwind-coffee",
        "https://northwind-coffee.example.com",
        "Small-batch coffee roasting for cafés and home brewers.",
    ),
)

# (member id, organization id, role): Maya runs both pages; Tom has no role on either.
ROLES = (
    ("mLq7Xw2Tz4", 90312417, "ADMINISTRATOR"),
    ("mLq7Xw2Tz4", 90312418, "ADMINISTRATOR"),
)


def seed(session: Session, ctx: SandboxContext) -> None:
    ensure_default_app(session, common.PLATFORM_NAME)
    if session.scalar(select(func.count()).select_from(LiMember)):
        return
    at = common.now(ctx)
    for m in MEMBERS:
        member = LiMember(
            id=m.id,
            given_name=m.given_name,
            family_name=m.family_name,
            email=m.email,
            vanity_name=m.vanity_name,
            headline=m.headline,
            locale_language=m.locale_language,
            locale_country=m.locale_country,
        )
        session.add(member)
    for o in ORGANIZATIONS:
        session.add(
            LiOrganization(
                id=o.id,
                name=o.name,
                vanity_name=o.vanity_name,
                website=o.website,
                description=o.description,
            )
        )
    session.flush()
    for member_id, org_id, role in ROLES:
        session.add(
            LiOrgRole(member_id=member_id, organization_id=org_id, role=role, state="APPROVED")
        )
    authors = [(f"urn:li:person:{m.id}", f"{m.given_name} {m.family_name}") for m in MEMBERS]
    authors += [(f"urn:li:organization:{o.id}", o.name) for o in ORGANIZATIONS]
    for urn, name in authors:
        profile = common.profile_of(ctx, urn)
        for past in audience.history(ctx.seed, profile, name, at):
            _add_history_post(session, urn, past)
    session.flush()


def _add_history_post(session: Session, author: str, past: audience.HistoricalPost) -> None:
    features = past.features
    # LinkedIn gives media posts ugcPost URNs and text posts share URNs.
    kind = "ugcPost" if features.media_count or features.has_video else "share"
    urn = f"urn:li:{kind}:{common.activity_id(session, past.posted_at)}"
    content: dict[str, Any] | None = None
    digest = hashlib.sha256(urn.encode()).hexdigest()[:16].upper()
    if features.has_video:
        content = {"media": {"id": f"urn:li:video:D4E05AQ{digest}"}}
    elif features.media_count:
        content = {"media": {"id": f"urn:li:image:D4E10AQ{digest}"}}
    session.add(
        LiPost(
            urn=urn,
            author=author,
            commentary=past.text,
            visibility="PUBLIC",
            lifecycle_state="PUBLISHED",
            distribution={
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            content=content,
            created_at=past.posted_at,
            published_at=past.posted_at,
            last_modified_at=past.posted_at,
            audience_key=past.post_key,
            media_count=features.media_count,
            has_video=features.has_video,
        )
    )


def accounts(session: Session, ctx: SandboxContext) -> list[dict[str, Any]]:
    """Ground truth: every member and organization with its hidden audience profile."""
    at = common.now(ctx)
    out: list[dict[str, Any]] = []
    for member in session.scalars(select(LiMember).order_by(LiMember.id)):
        profile = common.profile_of(ctx, member.urn)
        roles = session.scalars(select(LiOrgRole).where(LiOrgRole.member_id == member.id))
        out.append(
            {
                "platform": common.PLATFORM_NAME,
                "kind": "member",
                "id": member.id,
                "urn": member.urn,
                "name": member.name,
                "email": member.email,
                "followers": audience.followers_at(profile, at),
                "administers": [
                    {"organization": f"urn:li:organization:{r.organization_id}", "role": r.role}
                    for r in roles
                ],
                "best_weekday": profile.best_weekday,
                "best_hour": profile.best_hour,
                "profile": profile.as_dict(),
            }
        )
    for org in session.scalars(select(LiOrganization).order_by(LiOrganization.id)):
        profile = common.profile_of(ctx, org.urn)
        out.append(
            {
                "platform": common.PLATFORM_NAME,
                "kind": "organization",
                "id": str(org.id),
                "urn": org.urn,
                "name": org.name,
                "vanity_name": org.vanity_name,
                "followers": audience.followers_at(profile, at),
                "best_weekday": profile.best_weekday,
                "best_hour": profile.best_hour,
                "profile": profile.as_dict(),
            }
        )
    return out


# Organizations added through the control plane get ids from here on.
NEW_ORG_BASE = 91000000


def create_accounts(
    session: Session, ctx: SandboxContext, spec: NewAccounts
) -> list[dict[str, Any]]:
    """``spec.count`` more organization pages administered by the member ``spec.owner`` (the
    first seeded member by default), each with ``spec.posts`` past posts."""
    owner = spec.owner or MEMBERS[0].id
    if session.get(LiMember, owner) is None:
        raise ValueError(f"no LinkedIn member {owner!r}")
    at = common.now(ctx)
    first = NEW_ORG_BASE + (
        session.scalar(
            select(func.count())
            .select_from(LiOrganization)
            .where(LiOrganization.id >= NEW_ORG_BASE)
        )
        or 0
    )
    out: list[dict[str, Any]] = []
    for org_id in range(first, first + spec.count):
        n = org_id - NEW_ORG_BASE + 1
        org = LiOrganization(
            id=org_id,
            name=f"{spec.name} {n}",
            vanity_name=f"{common.PLATFORM_NAME}-org-{org_id}",
            website=f"https://org-{org_id}.example.com",
            description=f"{spec.name} {n}, a page made through the sandbox's control plane.",
        )
        session.add(org)
        session.flush()
        session.add(
            LiOrgRole(
                member_id=owner, organization_id=org_id, role="ADMINISTRATOR", state="APPROVED"
            )
        )
        profile = common.profile_of(ctx, org.urn)
        past = audience.history(ctx.seed, profile, org.name, at, days=spec.days, posts=spec.posts)
        for post in past:
            _add_history_post(session, org.urn, post)
        out.append(
            {
                "platform": common.PLATFORM_NAME,
                "kind": "organization",
                "id": str(org_id),
                "urn": org.urn,
                "name": org.name,
                "administrator": owner,
                "posts": len(past),
            }
        )
    session.flush()
    return out
