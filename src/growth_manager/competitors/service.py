"""The rules of competitors: which platforms can read them, what a valid handle is, adding
(no duplicates; a connected account to read through), removing, and listing with the latest
read. All scoped by business; a competitor of another business is "not found"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.errors import Conflict, InvalidInput, NotFound
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.competitors import Competitor, CompetitorSnapshot, CompetitorStatus
from growth_manager.providers.registry import descriptor, descriptors, is_platform


@dataclass(frozen=True)
class PlatformSupport:
    platform: str
    display_name: str
    supported: bool
    reason: str
    handle_hint: str


def support() -> list[PlatformSupport]:
    """Every platform with whether competitors can be read there, and why (not)."""
    return [
        PlatformSupport(
            d.platform,
            d.display_name,
            d.competitors.supported,
            d.competitors.reason,
            d.competitors.handle_hint,
        )
        for d in descriptors()
    ]


def clean_handle(platform: str, raw: str) -> str:
    """``raw`` without spaces and a leading ``@``, checked against the platform's rule; a 422
    naming what to fix otherwise."""
    if not is_platform(platform):
        known = ", ".join(d.platform for d in descriptors())
        raise InvalidInput(f"platform: unknown platform {platform!r}; use one of {known}.")
    rules = descriptor(platform).competitors
    if not rules.supported:
        raise InvalidInput(f"platform: {descriptor(platform).display_name}: {rules.reason}")
    handle = raw.strip().removeprefix("@").strip()
    if not handle:
        raise InvalidInput(f"handle: give {rules.handle_hint}.")
    if not re.fullmatch(rules.handle_pattern, handle):
        raise InvalidInput(f"handle: {handle!r} is not {rules.handle_hint}.")
    return handle


def reader_account(session: Session, business_id: int, platform: str) -> SocialAccount | None:
    """The business's connected account a competitor on ``platform`` is read through."""
    return session.scalars(
        select(SocialAccount)
        .where(
            SocialAccount.business_id == business_id,
            SocialAccount.platform == platform,
            SocialAccount.status.in_([AccountStatus.active, AccountStatus.refresh_failing]),
        )
        .order_by(SocialAccount.id)
    ).first()


def add(
    session: Session, business_id: int, platform: str, raw_handle: str, user_id: int | None
) -> Competitor:
    handle = clean_handle(platform, raw_handle)
    if reader_account(session, business_id, platform) is None:
        name = descriptor(platform).display_name
        raise InvalidInput(
            f"platform: connect your {descriptor(platform).kind_label(_first_kind(platform))} "
            f"first: competitors on {name} are read through your own connected account."
        )
    duplicate = session.scalars(
        select(Competitor.id).where(
            Competitor.business_id == business_id,
            Competitor.platform == platform,
            Competitor.handle_key == handle.lower(),
        )
    ).first()
    if duplicate is not None:
        raise Conflict(f"@{handle} on {descriptor(platform).display_name} is already listed.")
    competitor = Competitor(
        business_id=business_id,
        platform=platform,
        handle=handle,
        handle_key=handle.lower(),
        status=CompetitorStatus.pending.value,
        added_by_id=user_id,
    )
    session.add(competitor)
    session.flush()
    return competitor


def _first_kind(platform: str) -> str:
    return next(iter(descriptor(platform).kinds), "account")


def get(session: Session, business_id: int, competitor_id: int) -> Competitor:
    competitor = session.get(Competitor, competitor_id)
    if competitor is None or competitor.business_id != business_id:
        raise NotFound(f"This business has no competitor {competitor_id}.")
    return competitor


def remove(session: Session, business_id: int, competitor_id: int) -> None:
    session.delete(get(session, business_id, competitor_id))
    session.flush()


def listed(
    session: Session, business_id: int, platforms: tuple[str, ...] = ()
) -> list[tuple[Competitor, CompetitorSnapshot | None]]:
    """The business's competitors (by platform, then handle) with their latest read."""
    query = select(Competitor).where(Competitor.business_id == business_id)
    if platforms:
        query = query.where(Competitor.platform.in_(platforms))
    rows = session.scalars(query.order_by(Competitor.platform, Competitor.handle_key)).all()
    return [(row, latest_snapshot(session, row.id)) for row in rows]


def latest_snapshot(session: Session, competitor_id: int) -> CompetitorSnapshot | None:
    return session.scalars(
        select(CompetitorSnapshot)
        .where(CompetitorSnapshot.competitor_id == competitor_id)
        .order_by(CompetitorSnapshot.captured_at.desc(), CompetitorSnapshot.id.desc())
        .limit(1)
    ).first()
